"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def health() -> dict[str, str]:
    """Say the process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
def ready(session: SessionDep) -> dict[str, str]:
    """Say the catalog database answers."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "catalog": "ok"}
