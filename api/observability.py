"""Structured logs with request ids: a JSON log formatter and the request middleware.

The middleware is pure ASGI and the outermost layer, so every response (limits included)
carries an X-Request-ID and is logged once as one JSON line and measured once.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics
from api.problems import problem

MAX_REQUEST_ID = 128
SANE_ID = re.compile(rf"[A-Za-z0-9._:+/=-]{{1,{MAX_REQUEST_ID}}}")
ACCESS = logging.getLogger("moc.access")
ERRORS = logging.getLogger("moc.error")
request_id_var: ContextVar[str | None] = ContextVar("moc_request_id", default=None)
# LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring again replaces it."""


def configure_logging(level: str) -> None:
    """Send every log record to stderr as JSON at ``level``; idempotent (called by create_app)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(handler)
    handler = _JsonHandler()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("moc").setLevel(level)


def request_id_from(scope: Scope) -> str:
    """The client's X-Request-ID when it is a sane token, else a new one."""
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given = bytes(value).decode("latin-1").strip()
            if SANE_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template (bounded cardinality), or "unmatched"."""
    route = scope.get("route")
    template: object = getattr(route, "path_format", None)
    if not isinstance(template, str):
        return "unmatched"
    if isinstance(route, Mount):
        return template + "/{path}"  # e.g. the static files
    return template


def client_address(scope: Scope) -> str | None:
    """The client's address as api.proxies resolved it (None for a Unix socket)."""
    client = scope.get("client")
    return str(client[0]) if client else None


class RequestContextMiddleware:
    """Request id in and out, one access log line, latency metrics, unexpected errors logged."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            ERRORS.exception(
                "unhandled error in %s %s", scope["method"], scope["path"],
                extra={"request_id": request_id},
            )  # fmt: skip
            status = 500
            if response_started:
                return  # too late for a 500; the client sees a cut-off response
            response = problem(500, "internal error; quote the request id when reporting it")
            await response(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            template = route_template(scope)
            self.metrics.observe_request(scope["method"], template, status, duration)
            ACCESS.info(
                "%s %s %d", scope["method"], scope["path"], status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "client": client_address(scope),
                    "route": template,
                    "status": status,
                    "duration_ms": round(duration * 1000, 3),
                    "request_id": request_id,
                },
            )  # fmt: skip
            request_id_var.reset(token)
