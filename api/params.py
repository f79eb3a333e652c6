"""The public search parameters of api.md, declared once for OpenAPI and parsed by indexer.query.

FastAPI only documents them and checks their types; the real validation (codes against the
reference data, ranges, combinations) is ``parse_search``, so every route reports the same
errors the same way.
"""

from __future__ import annotations

import inspect
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request

from indexer.query import SearchQuery, parse_search


def _no_values() -> list[str]:
    return []


def _many(description: str, example: str) -> object:
    # An absent list is empty, not null: a query string cannot send null. A function of ours,
    # not `list`: pydantic inspects the factory's signature on every request, and reading a
    # builtin's signature costs some 0.2 ms each time.
    return Query(
        default_factory=_no_values,
        description=description + " Repeat for OR.",
        examples=[[example]],
    )


def search_query(
    request: Request,
    *,
    q: Annotated[str | None, Query(description="Free text over title, description, provider name, specialties and practice areas (at most 200 characters).", examples=["heart failure"])] = None,
    board: Annotated[list[str], _many("Board code.", "ABIM")],
    credit_type: Annotated[list[str], _many("Board-qualified credit type.", "ABIM:MK")],
    practice_area: Annotated[list[str], _many("Board-qualified practice area.", "ABIM:Cardiovascular Disease")],
    specialty: Annotated[list[str], _many("Specialty code.", "internal_medicine")],
    activity_type: Annotated[list[str], _many("Activity type code.", "course")],
    format: Annotated[list[str], _many("in_person, online or hybrid.", "online")],
    state: Annotated[list[str], _many("US state code.", "PA")],
    country: Annotated[list[str], _many("ISO 3166-1 alpha-2 country code.", "US")],
    provider: Annotated[list[str], _many("Provider id.", "acme")],
    registration: Annotated[str | None, Query(description="open or limited; absent means both.", examples=["open"])] = None,
    fee: Annotated[list[str], _many("yes, free or variable.", "free")],
    date_from: Annotated[date | None, Query(description="Keeps activities whose dates overlap the window from this day (ISO date).", examples=["2026-12-01"])] = None,
    date_to: Annotated[date | None, Query(description="Keeps activities whose dates overlap the window up to this day (ISO date).", examples=["2027-03-31"])] = None,
    near: Annotated[str | None, Query(description="A US ZIP code or 'lat,lng'.", examples=["19107"])] = None,
    radius_mi: Annotated[float | None, Query(description="Miles around near (great-circle), default 50, at most 500.", examples=[25])] = None,
    min_points: Annotated[float | None, Query(description="At least this many MOC points for one board (one of the selected boards when board is given).", examples=[5])] = None,
    sort: Annotated[str | None, Query(description="relevance (default with q), date (default without q), -date, points, distance (needs near) or title.", examples=["date"])] = None,
    page: Annotated[int | None, Query(description="1-based page; results past the 10,000th are not served.", examples=[1])] = None,
    per_page: Annotated[int | None, Query(description="Hits per page, default 20, at most 100.", examples=[20])] = None,
    facets: Annotated[list[str], _many("Facet group to return; default all groups.", "board")],
) -> SearchQuery:  # fmt: skip
    """Parse the request's search parameters (the raw strings, so errors quote what was sent)."""
    params = {name: request.query_params.getlist(name) for name in request.query_params}
    return parse_search(params)


def raw_search_params(request: Request, **_declared: object) -> dict[str, list[str]]:
    """The search parameters as sent, for routes that adjust them before parsing."""
    return {name: request.query_params.getlist(name) for name in request.query_params}


# Same documented parameters as search_query, without parsing them.
raw_search_params.__signature__ = inspect.signature(search_query).replace(  # type: ignore[attr-defined]
    return_annotation="dict[str, list[str]]"
)
SearchQueryDep = Annotated[SearchQuery, Depends(search_query)]
RawSearchParamsDep = Annotated[dict[str, list[str]], Depends(raw_search_params)]
