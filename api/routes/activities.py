"""Public activity endpoints."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from api.deps import SessionDep
from catalog.schemas import ActivityOut
from catalog.service import get_public_activity

router = APIRouter(prefix="/api/v1", tags=["activities"])


@router.get(
    "/activities/{activity_id}",
    response_model=ActivityOut,
    responses={404: {"description": "Unknown, unlisted or ended activity"}},
)
def read_activity(activity_id: str, session: SessionDep) -> ActivityOut:
    """Return a listed, current MOC activity."""
    return get_public_activity(session, activity_id, today=date.today())
