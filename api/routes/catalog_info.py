"""Public reference and provider endpoints, and the partner changes feed."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.caching import NOT_MODIFIED, cached_json
from api.deps import SearchDep, SessionDep
from api.schemas import ChangesResponse, Option, Problem, ProviderPublic
from catalog.service import get_provider_profile, list_public_changes

router = APIRouter(prefix="/api/v1")
MAX_CHANGES = 1000
SINCE = Query(
    pattern=r"^\d{1,18}$",
    description="Cursor from the previous call's next; 0 starts from the beginning.",
    examples=["0"],
)
LIMIT = Query(ge=1, le=MAX_CHANGES, description="At most this many changes.", examples=[100])


@router.get(
    "/facets",
    response_model=dict[str, list[Option]],
    responses={
        **NOT_MODIFIED,
        503: {"model": Problem, "description": "The search engine is unavailable."},
    },
    tags=["reference"],
)
def list_facets(request: Request, search: SearchDep) -> Response:
    """List every facet group with its codes and labels (the reference data)."""
    options = search.facet_options()
    body = {
        g: [{"value": v, "label": label} for v, label in values] for g, values in options.items()
    }
    return cached_json(request, body)


@router.get(
    "/providers/{provider_id}",
    response_model=ProviderPublic,
    responses={
        **NOT_MODIFIED,
        404: {"model": Problem, "description": "Unknown provider."},
        422: {"model": Problem, "description": "A parameter is invalid; `errors` names it."},
    },
    tags=["providers"],
)
def read_provider(request: Request, provider_id: str, session: SessionDep) -> Response:
    """Return a provider's public profile and its count of listed, current activities."""
    profile = get_provider_profile(session, provider_id, today=date.today())
    body = {
        "id": profile.id,
        "name": profile.name,
        "accreditor": profile.accreditor,
        "listed_activities": profile.listed_activities,
    }
    return cached_json(request, body)


@router.get(
    "/changes",
    response_model=ChangesResponse,
    responses={422: {"model": Problem, "description": "since or limit is invalid."}},
    tags=["partners"],
)
def list_changes(
    session: SessionDep,
    since: Annotated[str, SINCE] = "0",
    limit: Annotated[int, LIMIT] = 100,
) -> dict[str, Any]:
    """Public upserts and removals in order, to keep a mirror of the public catalog.

    Apply each entry in order: upsert stores the activity as given, remove deletes the id.
    Activities also leave the public catalog when they end, without an entry: drop those whose
    end_date has passed.
    """
    entries, cursor, more = list_public_changes(
        session, since=int(since), limit=limit, today=date.today()
    )
    changes = [
        {"cursor": str(e.cursor), "op": e.op, "id": e.activity_id, "activity": e.activity}
        for e in entries
    ]
    return {"changes": changes, "next": str(cursor), "has_more": more}
