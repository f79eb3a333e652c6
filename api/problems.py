"""Domain errors -> application/problem+json (RFC 9457), built in one place."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from catalog.errors import (
    ActivityNotFound,
    CatalogError,
    InvalidActivity,
    InvalidInput,
    ProviderNotFound,
    SchemaNotReady,
)
from indexer.errors import EngineUnavailable, InvalidQuery, SearchError

STATUS: dict[type[CatalogError], int] = {
    ActivityNotFound: 404,
    ProviderNotFound: 404,
    InvalidActivity: 422,
    InvalidInput: 422,
    SchemaNotReady: 503,
}
TITLES = {404: "Not Found", 422: "Unprocessable Content", 503: "Service Unavailable"}


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    """Build a problem+json response."""
    body = {
        "type": "about:blank",
        "status": status,
        "title": TITLES.get(status, "Error"),
        "detail": detail,
    } | extra
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


async def _catalog_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CatalogError)
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    extra = (
        {"errors": [e.as_dict() for e in exc.errors]} if isinstance(exc, InvalidActivity) else {}
    )
    return problem(status, exc.message, **extra)


async def _search_error(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, InvalidQuery):
        errors = [e.as_dict() for e in exc.errors]
        return problem(422, "invalid search parameters", errors=errors)
    if isinstance(exc, EngineUnavailable):
        return problem(503, "search is unavailable; try again shortly")
    raise exc


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "message": e["msg"]}
        for e in exc.errors()
    ]
    return problem(422, "invalid request parameters", errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, str(exc.detail))


def install_problem_handlers(app: FastAPI) -> None:
    """Route every expected error through problem()."""
    app.add_exception_handler(CatalogError, _catalog_error)
    app.add_exception_handler(SearchError, _search_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
