"""Headers every response carries so that browsers treat it as what it is, on this site only.

nosniff on everything (a JSON answer is never run as a script or shown as a page); no framing
anywhere (clickjacking); the origin only as the Referer to other sites (a search's words stay
here). HTML pages get a Content-Security-Policy of this site only: their script is
/static/app.js and their styles /static/style.css, with nothing inline. A response that
brings its own policy keeps it (the API docs pages, api.api_docs).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Anything else is data: it may load nothing, nor be framed.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
CSP = b"content-security-policy"


class SecurityHeadersMiddleware:
    """Adds the headers above to the start of every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {bytes(name).lower() for name, _ in headers}
                headers += [(name, value) for name, value in ALWAYS if name not in names]
                if CSP not in names:
                    headers.append((CSP, _policy(headers).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _policy(headers: list[tuple[bytes, bytes]]) -> str:
    content_type = next((bytes(v) for n, v in headers if bytes(n).lower() == b"content-type"), b"")
    return PAGE_POLICY if content_type.lower().startswith(b"text/html") else OTHER_POLICY
