"""Pages for physicians: search, activity, provider, Atom feed, calendar file.

Pages call the same SearchService and catalog functions as the JSON API: one data path,
two renderings. Every page works with plain GET forms and links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlmodel import Session

from catalog.errors import ActivityNotFound, FieldError, ProviderNotFound
from catalog.reference import Reference, reference
from catalog.service import get_public_activity, get_public_provider
from indexer.errors import EngineUnavailable, InvalidQuery
from indexer.query import SearchQuery, parse_search
from indexer.service import FEE_LABELS, SearchService
from web.feed import atom_feed
from web.pages import (
    LIMITED_NOTE,
    SORT_LABELS,
    WEB_FACETS,
    active_filters,
    card,
    date_range,
    facet_groups,
    pagination,
)
from web.statements import ics, json_ld, moc_statements
from web.urls import Params, query_string, without

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATIC_DIR = Path(__file__).parent / "static"
PER_PAGE = "20"
UNKNOWN_VALUE = re.compile(r"^unknown value '(.*)'$")


def _session(request: Request) -> Iterator[Session]:
    engine: Engine = request.app.state.engine
    with Session(engine) as session:
        yield session


def _search(request: Request) -> SearchService:
    service: SearchService = request.app.state.search
    return service


SessionDep = Annotated[Session, Depends(_session)]
SearchDep = Annotated[SearchService, Depends(_search)]


def _params(request: Request) -> dict[str, list[str]]:
    return {
        n: [v for v in request.query_params.getlist(n) if v.strip()] for n in request.query_params
    }


def parse_leniently(params: Params) -> tuple[SearchQuery, dict[str, list[str]], list[FieldError]]:
    """Parse, dropping the parameters that are wrong so the rest still searches.

    The page size is a default, not part of the kept state, so links keep the user's query.
    """
    kept = {k: list(v) for k, v in params.items() if v}
    problems: list[FieldError] = []
    for _ in range(4):
        try:
            return parse_search({"per_page": [PER_PAGE]} | kept), kept, problems
        except InvalidQuery as exc:
            problems += exc.errors
            for error in exc.errors:
                _drop(kept, error)
    return parse_search({}), {}, problems


def _drop(kept: dict[str, list[str]], error: FieldError) -> None:
    """Drop the bad value only (board=XYZ&board=ABP keeps ABP), else the whole parameter."""
    bad = UNKNOWN_VALUE.match(error.message)
    values = kept.get(error.field, [])
    if bad and bad.group(1) in values and len(values) > 1:
        kept[error.field] = [v for v in values if v != bad.group(1)]
    else:
        kept.pop(error.field, None)


def _labeller(query: SearchQuery, service: SearchService, ref: Reference) -> Any:
    def label(name: str, value: str) -> str:
        if name == "q":
            return f"Text: “{value}”"
        if name == "date_from":
            return f"From {value}"
        if name == "date_to":
            return f"Until {value}"
        if name == "near":
            return f"Within {query.radius_mi:g} mi of {value}"
        if name == "min_points":
            return f"At least {value} points"
        return service.labels(name, [value]).get(value, value)

    return label


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, search: SearchDep) -> Response:
    """The search page: box, facets, results, pagination; the URL holds the whole state."""
    params = _params(request)
    query, kept, problems = parse_leniently(params)
    ref = reference()
    try:
        result = search.search(replace(query, facets=WEB_FACETS))
    except EngineUnavailable:
        return error_page(request, 503, "Search is unavailable", "Please try again in a minute.")
    filters = active_filters(kept, query, _labeller(query, search, ref))
    if result.total == 0:
        for item in filters:
            try:
                alternative, _, _ = parse_leniently(dict(_parse_qs(item.href)))
                item.total_without = search.search(
                    replace(alternative, facets=(), per_page=1)
                ).total
            except EngineUnavailable:
                item.total_without = None
    context = {
        "query": query,
        "params": kept,
        "problems": problems,
        "result": result,
        "cards": [card(h, ref) for h in result.hits],
        "groups": facet_groups(result, ref),
        "filters": filters,
        "pages": pagination(kept, result) if result.pages > 1 else [],
        "sorts": SORT_LABELS,
        "json_href": "/api/v1/activities?" + query_string(kept),
        "feed_href": "/feed.atom?" + without(kept, "per_page"),
        "limited_note": LIMITED_NOTE,
        "clear_href": "/",
    }
    return templates.TemplateResponse(request, "search.html", context)


def _parse_qs(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


# Declared before activity_page: "/activities/{activity_id}" would otherwise match "<id>.ics".
@router.get("/activities/{activity_id}.ics")
def activity_calendar(request: Request, activity_id: str, session: SessionDep) -> Response:
    """An iCalendar file for a dated live activity."""
    try:
        activity = get_public_activity(session, activity_id, today=date.today())
    except ActivityNotFound:
        return _activity_not_found(request)
    kind = reference().activity_types.get(activity.activity_type)
    if not (kind and kind.live):
        detail = "Only live activities with dates can be added to a calendar."
        return error_page(request, 404, "No calendar file for this activity", detail)
    page_url = str(request.url_for("activity_page", activity_id=activity.id))
    body = ics(activity, page_url=page_url, now=datetime.now(UTC))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{activity.id}.ics"'},
    )


@router.get("/activities/{activity_id}", response_class=HTMLResponse)
def activity_page(request: Request, activity_id: str, session: SessionDep) -> Response:
    """Everything about one listed, current activity."""
    try:
        activity = get_public_activity(session, activity_id, today=date.today())
    except ActivityNotFound:
        return _activity_not_found(request)
    ref = reference()
    kind = ref.activity_types.get(activity.activity_type)
    live = bool(kind and kind.live)
    page_url = str(request.url_for("activity_page", activity_id=activity.id))
    context = {
        "activity": activity,
        "kind": kind.label if kind else activity.activity_type,
        "dates": date_range(activity.start_date, activity.end_date),
        "statements": moc_statements(activity, ref),
        "boards": {m.board: ref.boards[m.board] for m in activity.moc},
        "specialties": [ref.specialties.get(s, s) for s in activity.specialties],
        "json_ld": json_ld(activity, live=live, page_url=page_url),
        "ics_href": f"/activities/{activity.id}.ics" if live else None,
        "limited_note": LIMITED_NOTE,
        "fee": FEE_LABELS.get(activity.fee or ""),
    }
    return templates.TemplateResponse(request, "activity.html", context)


@router.get("/providers/{provider_id}", response_class=HTMLResponse)
def provider_page(
    request: Request, provider_id: str, session: SessionDep, search: SearchDep
) -> Response:
    """A provider's public page with its listed activities."""
    try:
        name, count = get_public_provider(session, provider_id, today=date.today())
    except ProviderNotFound:
        return error_page(request, 404, "Provider not found", "Check the address and try again.")
    params = {"provider": [provider_id], "page": _params(request).get("page", ["1"])}
    query, kept, _ = parse_leniently(params)
    result = search.search(replace(query, facets=()))
    ref = reference()
    context = {
        "provider": {"id": provider_id, "name": name, "count": count},
        "result": result,
        "cards": [card(h, ref) for h in result.hits],
        "pages": pagination({"page": kept.get("page", ["1"])}, result, f"/providers/{provider_id}")
        if result.pages > 1
        else [],
        "search_href": "/?" + query_string({"provider": [provider_id]}),
        "limited_note": LIMITED_NOTE,
    }
    return templates.TemplateResponse(request, "provider.html", context)


@router.get("/feed.atom")
def search_feed(request: Request, search: SearchDep) -> Response:
    """An Atom feed of any search, so a physician can follow new matching activities."""
    params = {k: v for k, v in _params(request).items() if k not in ("page", "per_page")}
    query, kept, _ = parse_leniently(params)
    result = search.search(replace(query, facets=(), per_page=50, page=1))
    page_href = str(request.base_url).rstrip("/") + "/?" + query_string(kept)
    body = atom_feed(
        result.hits, self_url=str(request.url), page_url=page_href, base=str(request.base_url)
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _activity_not_found(request: Request) -> Response:
    return error_page(request, 404, "Activity not found", "It may have ended or been withdrawn.")


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    """A page saying what went wrong, with a way back to the search (also used by api)."""
    context = {"status": status, "title": title, "detail": detail}
    return templates.TemplateResponse(request, "error.html", context, status_code=status)
