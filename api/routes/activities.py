"""Public activity endpoints."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Request

from api.deps import SearchDep, SessionDep
from catalog.schemas import ActivityOut
from catalog.service import get_public_activity
from indexer.query import SearchResult, parse_search

router = APIRouter(prefix="/api/v1", tags=["activities"])


@router.get("/activities", responses={422: {"description": "Invalid search parameters"}})
def search_activities(request: Request, search: SearchDep) -> dict[str, Any]:
    """Search listed, current MOC activities with filters, facets, sorting and paging."""
    params = {name: request.query_params.getlist(name) for name in request.query_params}
    query = parse_search(params)
    return search_body(search.search(query))


def search_body(result: SearchResult) -> dict[str, Any]:
    """The response shape of api.md."""
    return {
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "pages": result.pages,
        "hits": result.hits,
        "facets": {g: [asdict(v) for v in values] for g, values in result.facets.items()},
    }


@router.get(
    "/activities/{activity_id}",
    response_model=ActivityOut,
    responses={404: {"description": "Unknown, unlisted or ended activity"}},
)
def read_activity(activity_id: str, session: SessionDep) -> ActivityOut:
    """Return a listed, current MOC activity."""
    return get_public_activity(session, activity_id, today=date.today())
