"""SearchQuery: the public search parameters of api.md, validated; SearchResult: what comes back.

Both engines take a SearchQuery and never see raw request text: every filter value here has
been checked against the reference data, and only ``q`` is free text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from catalog.errors import FieldError
from catalog.geo import resolve_point
from catalog.reference import Reference, reference
from indexer.errors import InvalidQuery

Sort = Literal["relevance", "date", "-date", "points", "distance", "title"]
SORTS: tuple[Sort, ...] = ("relevance", "date", "-date", "points", "distance", "title")
FACET_GROUPS = (
    "board",
    "credit_type",
    "practice_area",
    "specialty",
    "activity_type",
    "format",
    "fee",
    "registration",
    "state",
    "country",
    "provider",
)
LIST_PARAMS = FACET_GROUPS[:7] + ("state", "country", "provider")
MAX_Q = 200
MAX_PER_PAGE = 100
# Deepest result reachable by paging; Meilisearch's maxTotalHits is set to the same number.
MAX_DEPTH = 10_000
MAX_VALUES = 50  # per repeatable parameter
WORD_CHAR = re.compile(r"[^\W_]")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PROVIDER_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class SearchQuery:
    """A validated search. Filters are OR within a field and AND across fields.

    ``point`` is ``near`` resolved to (lat, lng). ``sort`` is always concrete: ``relevance``
    when ``q`` is given and no sort was asked for, else ``date``.
    """

    q: str | None = None
    board: tuple[str, ...] = ()
    credit_type: tuple[str, ...] = ()  # board-qualified: "ABIM:MK"
    practice_area: tuple[str, ...] = ()  # board-qualified: "ABIM:Cardiovascular Disease"
    specialty: tuple[str, ...] = ()
    activity_type: tuple[str, ...] = ()
    format: tuple[str, ...] = ()
    state: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    provider: tuple[str, ...] = ()
    registration: Literal["open", "limited"] | None = None
    fee: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    near: str | None = None
    point: tuple[float, float] | None = None
    radius_mi: float = 50.0
    min_points: float | None = None
    sort: Sort = "date"
    page: int = 1
    per_page: int = 20
    facets: tuple[str, ...] = FACET_GROUPS

    def selected(self, group: str) -> tuple[str, ...]:
        """The values selected in a facet group ('registration' counts as a group)."""
        if group == "registration":
            return (self.registration,) if self.registration else ()
        value: tuple[str, ...] = getattr(self, group)
        return value

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    """One page of hits, the exact total, and the facet counts asked for."""

    hits: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0


def parse_search(params: Mapping[str, Sequence[str]], ref: Reference | None = None) -> SearchQuery:
    """Build a SearchQuery from request parameters (each a list of strings); raise InvalidQuery."""
    ref = ref or reference()
    errors: list[FieldError] = []
    known = set(LIST_PARAMS) | {"q", "registration", "fee", "date_from", "date_to", "near"}
    known |= {"radius_mi", "min_points", "sort", "page", "per_page", "facets"}
    for name in params:
        if name not in known:
            errors.append(FieldError(name, "unknown parameter"))
    values = _Params(params, errors)
    query = _build(values, ref)
    if errors:
        raise InvalidQuery(errors)
    return query


class _Params:
    def __init__(self, params: Mapping[str, Sequence[str]], errors: list[FieldError]) -> None:
        self.params = params
        self.errors = errors

    def error(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def many(self, name: str) -> list[str]:
        raw = [v.strip() for v in self.params.get(name, ()) if v.strip()]
        if len(raw) > MAX_VALUES:
            self.error(name, f"at most {MAX_VALUES} values")
        return list(dict.fromkeys(raw))

    def one(self, name: str) -> str | None:
        raw = [v for v in self.params.get(name, ()) if v.strip()]
        if len(raw) > 1:
            self.error(name, "give this parameter once")
        return raw[0].strip() if raw else None

    def codes(self, name: str, allowed: Mapping[str, Any] | Sequence[str]) -> tuple[str, ...]:
        found = []
        for value in self.many(name):
            if value in allowed:
                found.append(value)
            else:
                self.error(name, f"unknown value {value!r}")
        return tuple(found)

    def number(self, name: str, low: float, high: float) -> float | None:
        text = self.one(name)
        if text is None:
            return None
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not low <= number <= high:
            self.error(name, f"must be a number from {low:g} to {high:g}")
            return None
        return number

    def integer(self, name: str, low: int, high: int, default: int) -> int:
        text = self.one(name)
        if text is None:
            return default
        if not text.isdigit() or not low <= int(text) <= high:
            self.error(name, f"must be a whole number from {low} to {high}")
            return default
        return int(text)

    def day(self, name: str) -> date | None:
        text = self.one(name)
        if text is None:
            return None
        try:
            if ISO_DAY.match(text):
                return date.fromisoformat(text)
        except ValueError:
            pass
        self.error(name, "must be an ISO date (YYYY-MM-DD)")
        return None


def _qualified(ref: Reference, kind: str) -> set[str]:
    """Every board-qualified credit type ('ABIM:MK') or practice area ('ABIM:Nephrology')."""
    if kind == "credit_type":
        return {f"{b.code}:{c.code}" for b in ref.boards.values() for c in b.credit_types}
    return {f"{b.code}:{p}" for b in ref.boards.values() for p in b.practice_areas}


def _build(p: _Params, ref: Reference) -> SearchQuery:
    q = p.one("q")
    if q is not None and not WORD_CHAR.search(q):
        q = None  # only punctuation: nothing to search for, so no relevance order either
    if q is not None and len(q) > MAX_Q:
        p.error("q", f"must be at most {MAX_Q} characters")
        q = None
    near = p.one("near")
    point = resolve_point(near) if near else None
    if near and point is None:
        p.error("near", "must be a known US ZIP code or 'lat,lng'")
    per_page = p.integer("per_page", 1, MAX_PER_PAGE, 20)
    page = p.integer("page", 1, MAX_DEPTH, 1)
    if (page - 1) * per_page >= MAX_DEPTH:
        p.error("page", f"must not go past result {MAX_DEPTH:,}")
    sort = _sort(p, q, point)
    providers = p.many("provider")
    for bad in (v for v in providers if not PROVIDER_ID.match(v)):
        p.error("provider", f"unknown value {bad!r}")
    date_from, date_to = p.day("date_from"), p.day("date_to")
    if date_from and date_to and date_to < date_from:
        p.error("date_to", "must be on or after date_from")
    return SearchQuery(
        q=q,
        board=p.codes("board", ref.boards),
        credit_type=p.codes("credit_type", sorted(_qualified(ref, "credit_type"))),
        practice_area=p.codes("practice_area", sorted(_qualified(ref, "practice_area"))),
        specialty=p.codes("specialty", ref.specialties),
        activity_type=p.codes("activity_type", ref.activity_types),
        format=p.codes("format", ref.formats),
        state=p.codes("state", ref.us_states),
        country=p.codes("country", ref.countries),
        provider=tuple(v for v in providers if PROVIDER_ID.match(v)),
        registration=_registration(p),
        fee=p.codes("fee", [o.code for o in ref.fee_options]),
        date_from=date_from,
        date_to=date_to,
        near=near,
        point=point,
        radius_mi=p.number("radius_mi", 0.1, 500) or 50.0,
        min_points=p.number("min_points", 0.25, 1000),
        sort=sort,
        page=page,
        per_page=per_page,
        facets=p.codes("facets", FACET_GROUPS) if "facets" in p.params else FACET_GROUPS,
    )


def _registration(p: _Params) -> Literal["open", "limited"] | None:
    value = p.one("registration")
    if value in (None, "open", "limited"):
        return value  # type: ignore[return-value]
    p.error("registration", "must be open or limited")
    return None


def _sort(p: _Params, q: str | None, point: tuple[float, float] | None) -> Sort:
    value = p.one("sort")
    if value is None:
        return "relevance" if q else "date"
    if value not in SORTS:
        p.error("sort", "must be one of: " + ", ".join(SORTS))
        return "date"
    if value == "distance" and point is None and "near" not in p.params:
        p.error("sort", "sort=distance needs near")
    return value
