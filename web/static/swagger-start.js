// Starts Swagger UI on /docs from a file, not an inline script (the pages' CSP allows 'self').
(() => {
  const mount = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: mount.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    persistAuthorization: true,
    validatorUrl: null, // the default sends the spec to validator.swagger.io
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
