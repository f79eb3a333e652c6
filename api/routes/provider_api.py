"""Provider endpoints: create, replace, delete and list one's own activities."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse

from api.auth import ProviderDep
from api.deps import SessionDep, WriteSessionDep
from api.schemas import Problem
from catalog.errors import FieldError, InvalidActivity
from catalog.rules import parse_activity
from catalog.schemas import ActivityOut
from catalog.service import (
    delete_activity,
    get_provider_activity,
    list_provider_activities,
    upsert_activity,
    visibility,
)

router = APIRouter(prefix="/api/v1/providers/{provider_id}", tags=["provider"])
AUTH: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid provider key."},
    403: {"model": Problem, "description": "The key belongs to another provider."},
}


def _wake_sync(request: Request) -> None:
    background = getattr(request.app.state, "background_sync", None)
    if background is not None:
        background.notify()


def _with_visibility(activity: ActivityOut) -> dict[str, Any]:
    public, reasons = visibility(activity, date.today())
    return activity.model_dump(mode="json") | {"visibility": {"public": public, "reasons": reasons}}


@router.put(
    "/activities/{provider_activity_id}",
    responses={**AUTH, 422: {"model": Problem, "description": "The activity breaks rules."}},
    status_code=200,
)
def put_activity(
    request: Request,
    provider_id: ProviderDep,
    provider_activity_id: str,
    session: WriteSessionDep,
    body: Annotated[dict[str, Any], Body(description="An Activity as api.md describes it.")],
) -> Response:
    """Create (201) or replace (200) an activity; idempotent."""
    given = body.get("provider_activity_id")
    if given is not None and given != provider_activity_id:
        message = "must match the provider_activity_id in the URL"
        raise InvalidActivity([FieldError("provider_activity_id", message)])
    data = parse_activity(body | {"provider_activity_id": provider_activity_id})
    created = upsert_activity(session, provider_id=provider_id, data=data)
    session.commit()
    _wake_sync(request)
    stored = get_provider_activity(
        session, provider_id=provider_id, provider_activity_id=provider_activity_id
    )
    return JSONResponse(_with_visibility(stored), status_code=201 if created else 200)


@router.delete(
    "/activities/{provider_activity_id}",
    status_code=204,
    responses={**AUTH, 404: {"model": Problem, "description": "No such activity."}},
)
def remove_activity(
    request: Request, provider_id: ProviderDep, provider_activity_id: str, session: WriteSessionDep
) -> Response:
    """Delete an activity."""
    delete_activity(session, provider_id=provider_id, provider_activity_id=provider_activity_id)
    session.commit()
    _wake_sync(request)
    return Response(status_code=204)


@router.get("/activities", responses=AUTH)
def list_own_activities(provider_id: ProviderDep, session: SessionDep) -> dict[str, Any]:
    """Every activity of the provider, unlisted included, with why each is or is not public."""
    items = list_provider_activities(session, provider_id=provider_id, today=date.today())
    return {
        "activities": [
            item.activity.model_dump(mode="json")
            | {"visibility": {"public": item.public, "reasons": item.reasons}}
            for item in items
        ]
    }
