"""``Cache-Control: no-store`` on every answer under /provider.

Those pages list a provider's unlisted activities and set its session cookie: no browser
or shared cache may keep any of them, redirects and error pages included (even a 413 the
limits middleware answers before routing), so this wraps the whole app, not each route.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PRIVATE_PATHS = re.compile(r"^/provider(/|$)")  # not /providers/{id}: those pages are public


class NoStoreMiddleware:
    """Mark every response to a /provider path ``no-store``, whatever the route set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not PRIVATE_PATHS.match(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_no_store)
