"""Public reference and provider endpoints, and the partner changes feed."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.caching import NOT_MODIFIED, cached_json
from api.deps import SearchDep, SessionDep
from api.schemas import ChangesResponse, Option, Problem, ProviderPublic
from catalog.errors import FieldError
from catalog.fields import whole_number
from catalog.service import get_provider_profile, list_public_changes
from indexer.errors import InvalidQuery

router = APIRouter(prefix="/api/v1")
MAX_CHANGES = 1000
CURSOR_DIGITS = 18
# Both are read as text and checked here, so a bad value gets a sentence, not a pattern.
SINCE = Query(
    description="Cursor from the previous call's next; 0 starts from the beginning.",
    examples=["0"],
    json_schema_extra={"pattern": f"^[0-9]{{1,{CURSOR_DIGITS}}}$"},
)
LIMIT = Query(
    description=f"At most this many changes (1 to {MAX_CHANGES}).",
    examples=["100"],
    json_schema_extra={"type": "integer", "minimum": 1, "maximum": MAX_CHANGES},
)


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
    limit: Annotated[str, LIMIT] = "100",
) -> dict[str, Any]:
    """Public upserts and removals in order, to keep a mirror of the public catalog.

    Apply each entry in order: upsert stores the activity as given, remove deletes the id.
    Activities also leave the public catalog when they end, without an entry: drop those whose
    end_date has passed.
    """
    problems = []
    cursor_from = whole_number(since, max_digits=CURSOR_DIGITS)
    if cursor_from is None:
        message = "must be a cursor: the `next` of the previous answer, or 0 to start"
        problems.append(FieldError("since", message))
    most = whole_number(limit)
    if most is None or not 1 <= most <= MAX_CHANGES:
        problems.append(FieldError("limit", f"must be a whole number from 1 to {MAX_CHANGES}"))
    if cursor_from is None or most is None or problems:
        raise InvalidQuery(problems)
    entries, cursor, more = list_public_changes(
        session, since=cursor_from, limit=most, today=date.today()
    )
    changes = [
        {"cursor": str(e.cursor), "op": e.op, "id": e.activity_id, "activity": e.activity}
        for e in entries
    ]
    return {"changes": changes, "next": str(cursor), "has_more": more}
