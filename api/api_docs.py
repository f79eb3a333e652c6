"""The interactive API docs, Swagger UI at /docs and ReDoc at /redoc, without the internet.

Their scripts and styles come from the ``fastapi-offline`` package (MIT), which ships the
builds of Swagger UI (Apache-2.0) and ReDoc (MIT), served here under /static/api-docs/. Each
page starts from a script file of ours (web/static), not an inline script, so a
Content-Security-Policy of 'self' lets it run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request

Endpoint = Callable[[Request], Awaitable[HTMLResponse]]

ASSETS = Path(fastapi_offline.__file__).parent / "static"
# The docs pages' own policy: everything from this site. The bundles set inline styles and
# ReDoc searches in a blob: worker; ReDoc's sidebar also asks for Redocly's logo from its CDN,
# which img-src 'self' refuses before any request leaves the browser.
POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
ASSETS_URL = "/static/api-docs"
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  {styles}
</head>
<body>
  <div id="{mount}" data-openapi="{openapi}"></div>
  <script src="{bundle}"></script>
  <script src="{start}"></script>
</body>
</html>
"""


def _page(title: str, mount: str, openapi: str, bundle: str, start: str, css: str = "") -> str:
    styles = f'<link rel="stylesheet" href="{css}">' if css else ""
    return PAGE.format(
        title=escape(title), styles=styles, mount=mount, openapi=escape(openapi),
        bundle=bundle, start=start,
    )  # fmt: skip


def install_api_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc for the app's OpenAPI (create the app with both urls None)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="api-docs-assets")

    def openapi_url(request: Request) -> str:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return root + (app.openapi_url or "")

    def page(title: str, mount: str, bundle: str, start: str, css: str = "") -> Endpoint:
        async def serve(request: Request) -> HTMLResponse:
            html = _page(
                f"{app.title} – API ({title})", mount, openapi_url(request),
                f"{ASSETS_URL}/{bundle}", f"/static/{start}", css and f"{ASSETS_URL}/{css}",
            )  # fmt: skip
            return HTMLResponse(html, headers={"Content-Security-Policy": POLICY})

        return serve

    swagger_ui = page(
        "Swagger UI", "swagger-ui", "swagger-ui-bundle.js", "swagger-start.js", "swagger-ui.css"
    )
    redoc = page("ReDoc", "redoc", "redoc.standalone.js", "redoc-start.js")
    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
