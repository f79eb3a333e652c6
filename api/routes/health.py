"""Liveness and readiness."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import SearchDep
from api.metrics import Metrics
from api.problems import problem
from api.schemas import Problem
from indexer.errors import EngineUnavailable

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/healthz")
def health() -> dict[str, str]:
    """Say the process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=dict[str, Any],
    responses={
        503: {"model": Problem, "description": "The catalog or the search engine is unavailable."}
    },
)
def ready(request: Request, search: SearchDep) -> Response:
    """Say the catalog database and the search engine answer; 503 names the one that does not."""
    failed = []
    engine: Engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("readiness: the catalog database does not answer", exc_info=True)
        failed.append("catalog")
    try:
        search.engine.ping()
    except EngineUnavailable:
        log.warning("readiness: the search engine does not answer", exc_info=True)
        failed.append("search")
    if failed:
        return problem(503, f"unavailable: {', '.join(failed)}", unavailable=failed)
    body: dict[str, Any] = {"status": "ok", "catalog": "ok", "search": search.engine.name}
    statuses = search.instances()
    if statuses is not None:
        # Ready while one instance answers (searches fail over); each one is reported.
        body["instances"] = {url: "ok" if up else "unavailable" for url, up in statuses.items()}
    return JSONResponse(body)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics in the text exposition format."""
    registry: Metrics = request.app.state.metrics
    body = await run_in_threadpool(registry.exposition)  # the outbox gauges read the catalog
    return Response(body, media_type=PROMETHEUS_TEXT)
