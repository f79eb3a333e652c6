// Starts ReDoc on /redoc from a file, not an inline script (the pages' CSP allows 'self').
(() => {
  const mount = document.getElementById("redoc");
  Redoc.init(mount.dataset.openapi, { hideDownloadButton: false }, mount);
})();
