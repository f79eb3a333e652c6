"""Pages for physicians: search, activity, provider, Atom feed, calendar file.

Pages call the same SearchService and catalog functions as the JSON API: one data path,
two renderings. Every page works with plain GET forms and links.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from catalog.reference import reference
from catalog.schemas import ActivityOut
from catalog.service import (
    get_provider_profile,
    get_public_activities,
    get_public_activity,
    provider_accreditor,
)
from indexer.errors import EngineUnavailable
from indexer.query import parse
from indexer.service import SearchService
from indexer.vocabulary import FEE_LABELS, FLAGS, FORMAT_LABELS, WEB_FACETS
from web.deps import SearchDep, SessionDep, templates
from web.errors import error_page
from web.feed import atom_feed
from web.pages import (
    HELP_PATH,
    LIMITED_NOTE,
    MAX_SUGGESTIONS,
    PAGE_DEFAULT_SORT,
    PageProblem,
    Preview,
    active_filters,
    card,
    count_text,
    count_without,
    date_range,
    facet_groups,
    page_problem,
    pagination,
    show_label,
    sort_options,
    year_end_shortcut,
)
from web.statements import accreditation, accreditation_body, ics, json_ld, moc_statements
from web.threads import in_search_thread
from web.urls import query_string, without

router = APIRouter(include_in_schema=False)


def _params(request: Request) -> dict[str, list[str]]:
    return {n: request.query_params.getlist(n) for n in request.query_params}


@router.get("/", response_class=HTMLResponse)
async def search_page(request: Request, search: SearchDep) -> Response:
    """The search page: box, facets, results, pagination; the URL holds the whole state."""
    return await in_search_thread(
        request,
        lambda: templates.TemplateResponse(
            request, "search.html", _search_context(request, search)
        ),
    )


@router.get("/search/results")
async def search_results(request: Request, search: SearchDep) -> Response:
    """The search page's changing parts for the same parameters, rendered by the same
    templates: what the page's script swaps in as a physician types or ticks."""
    return await in_search_thread(request, lambda: _results_json(request, search))


def _results_json(request: Request, search: SearchService) -> Response:
    context = _search_context(request, search)
    env = templates.env
    body = {
        "url": "/?" + query_string(context["params"]),
        "total": context["result"].total,
        "status": context["count"],
        "applied": len(context["filters"]),
        "title": env.get_template("_title.html").render(context).strip(),
        "results": env.get_template("_results.html").render(context),
        "filters": env.get_template("_filters.html").render(context),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/search/count")
async def search_count(request: Request, search: SearchDep) -> Response:
    """How many activities a search would show: the phone's filter panel says it before Apply."""
    parsed = parse(_params(request))
    total = await in_search_thread(request, lambda: search.count(parsed.query))
    return JSONResponse(
        {"total": total, "label": show_label(total)}, headers={"Cache-Control": "no-store"}
    )


def _search_context(request: Request, search: SearchService) -> dict[str, Any]:
    parsed = parse(_params(request))
    query, kept = parsed.query, parsed.kept
    problems = [page_problem(p) for p in parsed.problems]
    # The API's twin of this page: the same search in the same order.
    api_params = dict(kept)
    if "sort" not in kept and not query.words:
        query = replace(query, sort=PAGE_DEFAULT_SORT)
        api_params["sort"] = [PAGE_DEFAULT_SORT]
    ref = reference()
    result = search.search(replace(query, facets=WEB_FACETS))
    if result.pages and query.page > result.pages:
        pages = "is 1 page" if result.pages == 1 else f"are {result.pages:,} pages"
        last = f"There {pages} of results; here is the last."
        problems.append(PageProblem("page", last))
        query = replace(query, page=result.pages)
        kept = {**kept, "page": [str(result.pages)]}
        result = search.search(replace(query, facets=WEB_FACETS))
    filters = active_filters(kept, query, search)
    if result.total == 0:
        try:
            count_without(filters, search)
        except EngineUnavailable:
            pass  # the counts are a hint; the page still says what matched
    return {
        "query": query,
        "params": kept,
        "year_end": year_end_shortcut(kept, query, ref, date.today()),
        "problems": problems,
        "result": result,
        "count": count_text(result.total),
        "cards": [card(h, ref) for h in result.hits],
        "groups": facet_groups(result, ref),
        "filters": filters,
        "suggestions": filters[:MAX_SUGGESTIONS],
        "pages": pagination(kept, result) if result.pages > 1 else [],
        "sorts": sort_options(query),
        "flags": FLAGS,
        "json_href": "/api/v1/activities?" + query_string(api_params),
        "feed_href": "/feed.atom?" + without(kept, "per_page"),
        "export_href": "/api/v1/activities/export.csv?" + without(api_params, "per_page"),
        "limited_note": LIMITED_NOTE,
        "clear_href": "/",
        "help_href": HELP_PATH,
    }


# Declared before activity_page: "/activities/{activity_id}" would otherwise match "<id>.ics".
@router.get("/activities/{activity_id}.ics")
def activity_calendar(request: Request, activity_id: str, session: SessionDep) -> Response:
    """An iCalendar file for a dated live activity."""
    activity = get_public_activity(session, activity_id, today=date.today())
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
    activity = get_public_activity(session, activity_id, today=date.today())
    context = activity_context(
        request, activity, provider_accreditor(session, activity.provider.id)
    )
    return templates.TemplateResponse(request, "activity.html", context)


def activity_context(
    request: Request, activity: ActivityOut, accreditor: str, preview: Preview | None = None
) -> dict[str, Any]:
    """What the activity page shows: the public page and a provider's preview share it."""
    ref = reference()
    kind = ref.activity_types.get(activity.activity_type)
    live = bool(kind and kind.live)
    page_url = str(request.url_for("activity_page", activity_id=activity.id))
    calendar = live and (preview is None or preview.public)  # a hidden one has no .ics
    return {
        "activity": activity,
        "kind": kind.label if kind else activity.activity_type,
        "dates": date_range(activity.start_date, activity.end_date),
        "statements": moc_statements(activity, ref),
        "accreditation": accreditation(activity, accreditor, ref),
        "boards": {m.board: ref.boards[m.board] for m in activity.moc if m.board in ref.boards},
        "specialties": [ref.specialties.get(s, s) for s in activity.specialties],
        "topics": [ref.topics[t].label for t in activity.topics if t in ref.topics],
        "json_ld": json_ld(activity, live=live, page_url=page_url),
        "ics_href": f"/activities/{activity.id}.ics" if calendar else None,
        "limited_note": LIMITED_NOTE,
        "fee": FEE_LABELS.get(activity.fee or ""),
        "format": FORMAT_LABELS[activity.format],
        "help_href": HELP_PATH,
        "preview": preview,
    }


@router.get("/providers/{provider_id}", response_class=HTMLResponse)
def provider_page(
    request: Request, provider_id: str, session: SessionDep, search: SearchDep
) -> Response:
    """A provider's public page with its listed activities."""
    profile = get_provider_profile(session, provider_id, today=date.today())
    params = {"provider": [provider_id], "page": _params(request).get("page", ["1"])}
    parsed = parse(params)
    kept = parsed.kept
    result = search.search(replace(parsed.query, facets=()))
    ref = reference()
    context = {
        "provider": profile,
        "accredited_by": accreditation_body(profile.accreditor, ref),
        "result": result,
        "cards": [card(h, ref) for h in result.hits],
        "pages": pagination({"page": kept.get("page", ["1"])}, result, f"/providers/{provider_id}")
        if result.pages > 1
        else [],
        "search_href": "/?" + query_string({"provider": [provider_id]}),
        "limited_note": LIMITED_NOTE,
    }
    return templates.TemplateResponse(request, "provider.html", context)


@router.get(HELP_PATH, response_class=HTMLResponse)
def help_page(request: Request) -> Response:
    """About MOC credit: points, credit types, practice areas, limited registration and each
    board's code and name for its programme, from the reference data."""
    boards = sorted(reference().boards.values(), key=lambda b: (not b.active, b.display_code))
    context = {"boards": boards, "limited_note": LIMITED_NOTE, "help_href": HELP_PATH}
    return templates.TemplateResponse(request, "help.html", context)


@router.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page links; the icon is an SVG."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/feed.atom")
def search_feed(request: Request, search: SearchDep, session: SessionDep) -> Response:
    """An Atom feed of any search, so a physician can follow new matching activities."""
    params = {k: v for k, v in _params(request).items() if k not in ("page", "per_page")}
    parsed = parse(params)
    kept = parsed.kept
    result = search.search(replace(parsed.query, facets=(), per_page=50, page=1))
    found = get_public_activities(session, [h["id"] for h in result.hits], today=date.today())
    changed = {aid: activity.updated_at for aid, activity in found.items()}
    page_href = str(request.base_url).rstrip("/") + "/?" + query_string(kept)
    body = atom_feed(
        result.hits, changed, self_url=str(request.url), page_url=page_href,
        base=str(request.base_url), ref=reference(),
    )  # fmt: skip
    return Response(body, media_type="application/atom+xml; charset=utf-8")
