"""The one error boundary: every expected error becomes problem+json (RFC 9457) on the API
and the site's error page everywhere else, built in one place."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.responses import Response

from catalog.errors import (
    ActivityNotFound,
    CatalogError,
    ImportFileError,
    InvalidActivity,
    InvalidInput,
    ProviderNotFound,
    SchemaNotReady,
)
from indexer.errors import EngineUnavailable, InvalidQuery, SearchError
from web.errors import error_page, page_text

STATUS: dict[type[CatalogError], int] = {
    ActivityNotFound: 404,
    ProviderNotFound: 404,
    InvalidActivity: 422,
    InvalidInput: 422,
    ImportFileError: 422,
    SchemaNotReady: 503,
}
# RFC 9110 renamed 422; Python's HTTPStatus still has the old phrase.
TITLES = {422: "Unprocessable Content"}
MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
# Seconds a client should wait before retrying while the catalog database is unreachable
# (a restart or failover typically takes a few seconds).
DATABASE_RETRY_AFTER_S = 5
# Paths answered in JSON; every other path is a page (or a feed) for people.
JSON_PATHS = ("/api/", "/healthz", "/readyz", "/metrics")
log = logging.getLogger(__name__)


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    """Build a problem+json response."""
    body = {
        "type": "about:blank",
        "status": status,
        "title": TITLES.get(status) or HTTPStatus(status).phrase,
        "detail": detail,
    } | extra
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def answer(request: Request, status: int, detail: str, exc: Exception | None = None,
           **extra: Any) -> Response:  # fmt: skip
    """problem+json for API paths, the error page for people, for the same error."""
    if request.url.path.startswith(JSON_PATHS):
        return problem(status, detail, **extra)
    title, text = page_text(exc, status)
    return error_page(request, status, title, text)


async def _catalog_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CatalogError)
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    extra = (
        {"errors": [e.as_dict() for e in exc.errors]} if isinstance(exc, InvalidActivity) else {}
    )
    return answer(request, status, exc.message, exc, **extra)


async def _search_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, InvalidQuery):
        errors = [e.as_dict() for e in exc.errors]
        return answer(request, 422, "invalid search parameters", exc, errors=errors)
    if isinstance(exc, EngineUnavailable):
        return answer(request, 503, "search is unavailable; try again shortly", exc)
    raise exc


def database_unavailable(exc: BaseException) -> bool:
    """Whether a database error means the catalog cannot be reached now (503), not a bug (500).

    OperationalError and InterfaceError are what the driver raises when the server is down,
    restarting or drops the connection; a pool timeout means every connection is busy.
    """
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


async def _database_error(request: Request, exc: Exception) -> Response:
    if not database_unavailable(exc):
        raise exc  # a real bug: the request middleware logs it and answers 500
    cause = getattr(exc, "orig", None) or exc  # the driver's message, without the SQL
    log.warning("the catalog database is unavailable: %s", str(cause).strip())
    detail = "the catalog database is unavailable; try again shortly"
    response = answer(request, 503, detail, unavailable=["catalog"])
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "message": e["msg"]}
        for e in exc.errors()
    ]
    return answer(request, 422, "invalid request parameters", exc, errors=errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = answer(request, exc.status_code, str(exc.detail), exc)
    # Keep the exception's headers: a 405 must say what is Allowed (RFC 9110).
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(_allowed_methods(request))
    return response


def _allowed_methods(request: Request) -> list[str]:
    """Every documented method on this path (the router names only the first route's)."""
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    """Route every expected error through problem(), and document them as problem+json."""
    app.add_exception_handler(CatalogError, _catalog_error)
    app.add_exception_handler(SearchError, _search_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.openapi = _problem_openapi(app.openapi)  # type: ignore[method-assign]


def _problem_openapi(build: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Wrap FastAPI's OpenAPI builder so Problem responses carry problem()'s media type.

    FastAPI documents every response ``model`` under the route's media type, application/json.
    """

    def openapi() -> dict[str, Any]:
        schema = build()  # FastAPI caches it, so this runs on the same dict: keep it idempotent
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    if content.get("application/json", {}).get("schema") == {"$ref": PROBLEM_REF}:
                        content[MEDIA_TYPE] = content.pop("application/json")
        return schema

    return openapi
