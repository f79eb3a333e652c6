"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import SearchDep, SessionDep
from api.schemas import Problem

router = APIRouter(tags=["health"])


@router.get("/healthz")
def health() -> dict[str, str]:
    """Say the process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"model": Problem, "description": "The search engine is unavailable."}},
)
def ready(session: SessionDep, search: SearchDep) -> dict[str, str]:
    """Say the catalog database and the search engine answer."""
    session.execute(text("SELECT 1"))
    search.engine.ping()
    return {"status": "ok", "catalog": "ok", "search": search.engine.name}
