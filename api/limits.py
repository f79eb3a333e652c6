"""Request limits: body size (413), query string length (414) and per-client rate (429).

A pure-ASGI middleware that answers before routing, so an oversized or throttled request
costs no database or search work. Refusals are problem+json, except a body too large for a
page (the provider upload form), which gets the site's error page. A body whose length is not
declared (chunked) is counted as the endpoint reads it, never buffered here: an endpoint
that refuses a request first (a missing key, no session) never reads its body at all.
"""

from __future__ import annotations

import ipaddress
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import MEDIA_TYPE, PROBLEM_REF, answer, problem
from api.settings import Settings

# The two batch uploads have their own, larger limit (MOC_MAX_UPLOAD_BYTES).
UPLOAD_PATHS = re.compile(r"^/api/v1/providers/[^/]+/imports$|^/provider/upload$")
# Public GET endpoints and pages. The provider API (/api/v1/providers/{id}/...) is
# authenticated and not limited; neither are health, metrics, static files nor /provider pages.
RATE_LIMITED = re.compile(
    r"^/api/v1/activities(/.*)?$|^/api/v1/facets$|^/api/v1/providers/[^/]+$|^/api/v1/changes$"
    r"|^/$|^/activities/.+$|^/providers/[^/]+$|^/feed\.atom$|^/search/(results|count)$"
)
MAX_CLIENTS = 100_000  # buckets kept; the least recently seen are forgotten first


class TokenBuckets:
    """A token bucket per client key: ``burst`` tokens, refilled at ``per_minute``. Thread-safe."""

    def __init__(self, per_minute: int, burst: int, clock: Any = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.lock = threading.Lock()
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 when allowed, else the seconds until one is available."""
        now = self.clock()
        with self.lock:
            tokens, last = self.buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self.buckets[key] = (tokens, now)
            if len(self.buckets) > MAX_CLIENTS:
                self.buckets.popitem(last=False)
            return wait


class LimitsMiddleware:
    """Refuse long query strings, oversized bodies and clients over their rate."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.max_upload = settings.max_upload_bytes + settings.max_body_bytes  # form overhead
        self.max_query = settings.max_query_chars
        self.buckets = (
            TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
            if settings.rate_limit_per_minute > 0
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _query_too_long(scope.get("query_string", b""), self.max_query):
            detail = f"the query string is longer than {self.max_query:,} characters"
            await problem(414, detail)(scope, receive, send)
            return
        path: str = scope["path"]
        if self.buckets is not None and scope["method"] in ("GET", "HEAD"):
            client = self.client_ip(scope)
            if client is not None and RATE_LIMITED.match(path):
                wait = self.buckets.take(client)
                if wait > 0:
                    response = problem(429, "too many requests; slow down and retry later")
                    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
                    await response(scope, receive, send)
                    return
        limit = self.max_upload if UPLOAD_PATHS.match(path) else self.max_body
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            # The upload page's form answers with the site's page, the API with a problem.
            detail = f"the request body is larger than {limit:,} bytes"
            await answer(Request(scope), 413, detail)(scope, receive, send)
            return
        if declared is None:
            receive = _counted(receive, limit)  # no length given (chunked)
        await self.app(scope, receive, send)

    @staticmethod
    def client_ip(scope: Scope) -> str | None:
        """The client's IP, as api.proxies resolved it (the peer's unless a trusted proxy
        forwarded the request).

        Clients without an IP address (a Unix socket, an in-process test client) are not
        limited: they would otherwise all share one bucket.
        """
        client = scope.get("client")
        if not client:
            return None
        try:
            return str(ipaddress.ip_address(client[0]))
        except ValueError:
            return None


def _query_too_long(raw: bytes, limit: int) -> bool:
    """Whether the query string, percent-decoded, is longer than ``limit`` characters."""
    if len(raw) <= limit:  # decoding never makes it longer
        return False
    if len(raw) > 12 * limit:  # even all 4-byte UTF-8 characters, encoded, would be longer
        return True
    return len(unquote_plus(raw.decode("latin-1"))) > limit


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _counted(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises 413 as soon as the body read so far passes ``limit`` bytes.

    The endpoint's error handling answers it (the HTTPException passes through FastAPI's
    body parsing as it is), before anything of the response was sent.
    """
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise HTTPException(413, f"the request body is larger than {limit:,} bytes")
        return message

    return counted


UNAVAILABLE = "The catalog database is unavailable; try again after Retry-After (seconds)."


def document_limits(build: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Wrap the OpenAPI builder so every operation documents the limits that apply to it.

    Also the 503 any operation may answer when the catalog database is unreachable (the
    handler in api.problems); operations that document a 503 of their own keep theirs.
    """

    def problem_response(description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        }

    def openapi() -> dict[str, Any]:
        schema = build()  # cached by FastAPI: keep this idempotent
        for path, operations in schema.get("paths", {}).items():
            concrete = re.sub(r"\{[^/]+\}", "x", path)
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                responses.setdefault("414", problem_response("The query string is too long."))
                responses.setdefault("503", problem_response(UNAVAILABLE))
                if "requestBody" in operation:
                    responses.setdefault("413", problem_response("The request body is too large."))
                if method == "get" and RATE_LIMITED.match(concrete):
                    responses.setdefault(
                        "429", problem_response("Too many requests; see Retry-After (seconds).")
                    )
        return schema

    return openapi
