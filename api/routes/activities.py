"""Public activity endpoints: search, export, detail."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from api.caching import NOT_MODIFIED, cached_json
from api.deps import SearchDep, SessionDep
from api.exports import EXPORT_FORMATS, export_stream, pick_export_format, split_export_format
from api.params import RawSearchParamsDep, SearchQueryDep
from api.schemas import Problem, PublicActivity, SearchResponse
from catalog.errors import FieldError
from catalog.service import get_public_activity
from indexer.errors import InvalidQuery
from indexer.query import SearchResult, parse_search

router = APIRouter(prefix="/api/v1", tags=["activities"])
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "description": "A parameter is invalid; `errors` names it."},
    503: {"model": Problem, "description": "The search engine is unavailable."},
}


@router.get("/activities", response_model=SearchResponse, responses=NOT_MODIFIED | ERRORS)
def search_activities(request: Request, query: SearchQueryDep, search: SearchDep) -> Response:
    """Search listed, current MOC activities with filters, facets, sorting and paging."""
    result = search.search(query)
    if query.page > 1 and query.page > result.pages:
        last = max(result.pages, 1)
        raise InvalidQuery([FieldError("page", f"must be at most {last}, the last page")])
    return cached_json(request, search_body(result))


def search_body(result: SearchResult) -> dict[str, Any]:
    """The response shape of api.md."""
    return {
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "pages": result.pages,
        "hits": result.hits,
        # Built by hand: dataclasses.asdict deep-copies every value, a cost on each search.
        "facets": {
            group: [
                {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                for v in values
            ]
            for group, values in result.facets.items()
        },
    }


@router.get(
    "/activities/export",
    responses={
        200: {
            "description": "Every matching activity, streamed: NDJSON (one hit per line) or CSV.",
            "content": {media.split(";")[0]: {} for media in EXPORT_FORMATS.values()},
        },
        **ERRORS,
    },
    response_class=StreamingResponse,
)
def export_activities(
    request: Request, search: SearchDep, raw: RawSearchParamsDep
) -> StreamingResponse:
    """Export every activity matching the search filters, in sort order, as NDJSON or CSV.

    The file format is `format=csv` or `format=ndjson` (else the Accept header, else NDJSON);
    other `format` values filter by activity format as in search. `page` and `per_page` do not
    apply: everything matching is streamed.
    """
    params = dict(raw)
    given, params["format"] = split_export_format(params.get("format", []))
    params = {n: v for n, v in params.items() if v and n not in ("page", "per_page")}
    kind = pick_export_format(given, request.headers.get("accept", ""))
    query = parse_search(params)
    return StreamingResponse(
        export_stream(search.iter_hits(query), kind),
        media_type=EXPORT_FORMATS[kind],
        headers={"Content-Disposition": f'attachment; filename="activities.{kind}"'},
    )


@router.get(
    "/activities/{activity_id}",
    response_model=PublicActivity,
    responses={
        **NOT_MODIFIED,
        404: {"model": Problem, "description": "Unknown, unlisted or ended activity."},
        422: ERRORS[422],
    },
)
def read_activity(request: Request, activity_id: str, session: SessionDep) -> Response:
    """Return a listed, current MOC activity."""
    activity = get_public_activity(session, activity_id, today=date.today())
    public = PublicActivity.model_validate(activity.model_dump())
    return cached_json(request, public.model_dump(mode="json"))
