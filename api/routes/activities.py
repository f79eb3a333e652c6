"""Public activity endpoints: search, export, detail."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from api.caching import NOT_MODIFIED, cached_json
from api.deps import SearchDep, SessionDep
from api.exports import EXPORT_FORMATS, export_stream, full_activities
from api.params import SEARCH_OPENAPI, RawSearchParamsDep, SearchQueryDep
from api.problems import problem
from api.schemas import Problem, PublicActivity, SearchResponse, public_activity_json
from catalog.errors import FieldError
from catalog.service import get_public_activity
from indexer.errors import InvalidQuery
from indexer.query import SearchResult, parse_search
from web.threads import in_search_thread

router = APIRouter(prefix="/api/v1", tags=["activities"])
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "description": "A parameter is invalid; `errors` names it."},
    503: {"model": Problem, "description": "The search engine is unavailable."},
}


@router.get(
    "/activities",
    response_model=SearchResponse,
    responses=NOT_MODIFIED | ERRORS,
    openapi_extra=SEARCH_OPENAPI,
)
async def search_activities(request: Request, query: SearchQueryDep, search: SearchDep) -> Response:
    """Search listed, current MOC activities with filters, facets, sorting and paging."""

    def answer() -> Response:
        result = search.search(query)
        if query.page > 1 and query.page > result.pages:
            last = max(result.pages, 1)
            raise InvalidQuery([FieldError("page", f"must be at most {last}, the last page")])
        return cached_json(request, search_body(result))

    return await in_search_thread(request, answer)


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


EXPORT_PATHS = {kind: f"/api/v1/activities/export.{kind}" for kind in EXPORT_FORMATS}
EXPORT_HELP = {
    "csv": "One row per activity in exactly the import CSV's columns (README, Import formats): "
    "export, edit and import the file again.",
    "ndjson": "One Activity object per line, with the catalog's read-only fields (id, "
    "provider, created_at, updated_at), as GET /api/v1/activities/{id} gives it.",
}


def _export(request: Request, search: SearchDep, raw: dict[str, list[str]], kind: str) -> Response:
    """Every activity matching the search filters, in sort order, streamed."""
    params = {n: v for n, v in raw.items() if v and n not in ("page", "per_page")}
    query = parse_search(params)
    activities = full_activities(search.iter_hits(query), request.app.state.engine)
    return StreamingResponse(
        export_stream(activities, kind),
        media_type=EXPORT_FORMATS[kind],
        headers={"Content-Disposition": f'attachment; filename="activities.{kind}"'},
    )


def _export_responses(kind: str) -> dict[int | str, dict[str, Any]]:
    media = EXPORT_FORMATS[kind].split(";")[0]
    return {200: {"description": EXPORT_HELP[kind], "content": {media: {}}}, **ERRORS}


@router.get(
    "/activities/export.csv",
    responses=_export_responses("csv"),
    response_class=StreamingResponse,
    openapi_extra=SEARCH_OPENAPI,
)
def export_csv(request: Request, search: SearchDep, raw: RawSearchParamsDep) -> Response:
    """Export every matching activity as CSV in the import layout (no paging).

    Takes the search filters; `format` is the activity-format filter (`online`, ...).
    """
    return _export(request, search, raw, "csv")


@router.get(
    "/activities/export.ndjson",
    responses=_export_responses("ndjson"),
    response_class=StreamingResponse,
    openapi_extra=SEARCH_OPENAPI,
)
def export_ndjson(request: Request, search: SearchDep, raw: RawSearchParamsDep) -> Response:
    """Export every matching activity as NDJSON, one Activity per line (no paging).

    Takes the search filters; `format` is the activity-format filter (`online`, ...).
    """
    return _export(request, search, raw, "ndjson")


@router.get("/activities/export", include_in_schema=False)
def export_moved(request: Request) -> Response:
    """The export's old address, where `format` meant the file type too: say where it went."""
    detail = (
        "the export moved: use {csv} or {ndjson} with the same search parameters "
        "(there, format filters by activity format: in_person, online, hybrid)"
    ).format(**EXPORT_PATHS)
    response = problem(410, detail, locations=EXPORT_PATHS)
    response.headers["Link"] = ", ".join(f'<{p}>; rel="alternate"' for p in EXPORT_PATHS.values())
    return response


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
    return cached_json(request, public_activity_json(activity))
