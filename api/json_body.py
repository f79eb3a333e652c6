"""JSON request bodies read with errors that say what is wrong and where.

FastAPI answers a body that is not UTF-8, or that holds a number too long for int(), with
"There was an error parsing the body", and malformed JSON with "JSON decode error" at a
character offset. The routes of a router built with ``route_class=JsonBodyRoute`` read their
JSON bodies here instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from catalog.fields import json_integer


def read_json(body: bytes) -> Any:
    """Parse a request body as JSON (RFC 8259: UTF-8); HTTP 400 says what and where if not."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = body[: exc.start].decode("utf-8")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        detail = (
            f"the body is not UTF-8: byte 0x{body[exc.start]:02x} at line {line}, column {column}"
        )
        raise HTTPException(400, detail) from None
    try:
        return json.loads(text, parse_int=json_integer)
    except json.JSONDecodeError as exc:
        detail = f"the body is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise HTTPException(400, detail) from None


class JsonBodyRequest(Request):
    """A request whose JSON body is read by read_json."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = read_json(await self.body())
        return self._json


class JsonBodyRoute(APIRoute):
    """A route whose JSON body is read by read_json (FastAPI lets HTTPException through)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_json_errors(request: Request) -> Response:
            return await handler(JsonBodyRequest(request.scope, request.receive))

        return with_json_errors
