"""SearchQuery -> Meilisearch filter and sort expressions. User values only ever become quoted
strings; attribute names come from the allow-list below, never from the query.

Filters use the array form (search-engines.md 1.2): each top-level element is parsed on its own,
so even a broken element could not change the logic of the others.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from indexer.documents import day_number
from indexer.errors import QueryRejected
from indexer.query import SearchQuery
from indexer.vocabulary import FILTERS, FLAGS, KEYWORD_FIELDS, MINIMUMS, Param

METRES_PER_MILE = 1609.344
# Attributes a filter may name; points.<board> is checked against the engine's boards.
ALLOWED_FIELDS = frozenset(KEYWORD_FIELDS) | {"start_day", "end_day"}
ALLOWED_FIELDS |= {str(p.field) for p in MINIMUMS}

Filter = list[str | list[str]]


def quote(value: str) -> str:
    """Quote a filter value so the parser reads back exactly ``value``."""
    # Backslashes first, then quotes: the parser unescapes \" and then \\ (value.rs).
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def number(value: float) -> str:
    """Format a finite number for a filter; anything else is a bug in the caller."""
    if isinstance(value, bool) or not math.isfinite(value):
        raise QueryRejected(f"not a finite number: {value!r}")
    # Shortest round-trip digits, never exponent notation ("1e+20" is not a bare filter value).
    return format(Decimal(repr(value)), "f")


def condition(field: str, operator: str, value: str) -> str:
    """One comparison on an allow-listed attribute; ``value`` is already quoted or a number."""
    if field not in ALLOWED_FIELDS:
        raise QueryRejected(f"not a filterable attribute: {field!r}")
    return f"{field} {operator} {value}"


def any_value(field: str, values: Iterable[str]) -> list[str]:
    """OR of equalities: one inner list of the array form."""
    return [condition(field, "=", quote(v)) for v in values]


def at_least(
    param: Param, value: float, selected: Iterable[str], boards: Iterable[str]
) -> list[str]:
    """``param``'s field at least ``value``; per board, one of the ``selected`` boards'."""
    minimum = number(value)
    chosen = list(selected) if param.per_board else []
    if not chosen:
        return [condition(param.field, ">=", minimum)]
    unknown = [b for b in chosen if b not in set(boards)]
    if unknown:
        raise QueryRejected(f"unknown boards: {unknown!r}")
    return [f"points.{b} >= {minimum}" for b in chosen]


def geo_radius(point: tuple[float, float], radius_mi: float) -> str:
    """The exact great-circle test Meilisearch applies (radius in metres)."""
    lat, lng = point
    return f"_geoRadius({number(lat)}, {number(lng)}, {number(radius_mi * METRES_PER_MILE)})"


def build_filter(
    query: SearchQuery, today: date, boards: Iterable[str], *, without: str | None = None
) -> Filter:
    """Every filter of the query, AND across elements, leaving out facet group ``without``."""
    clauses: Filter = [condition("end_day", ">=", number(day_number(today)))]
    for param in FILTERS:
        values = query.selected(param.name)
        if values and param.name != without:
            clauses.append(any_value(param.field, values))
    if query.date_from:
        clauses.append(condition("end_day", ">=", number(day_number(query.date_from))))
    if query.date_to:
        clauses.append(condition("start_day", "<=", number(day_number(query.date_to))))
    for param in FLAGS:
        if param.name in query.flags:
            clauses.append(condition(param.field, "=", quote(param.name)))
    for param in MINIMUMS:
        minimum = query.minimum(param.name)
        if minimum is not None:
            clauses.append(at_least(param, minimum, query.selected("board"), boards))
    if query.point is not None:
        clauses.append(geo_radius(query.point, query.radius_mi))
    return clauses


def sort_rules(query: SearchQuery) -> list[str] | None:
    """The sort parameter; None lets the ranking rules order by relevance."""
    sort = query.effective_sort
    if sort == "distance" and query.point is not None:
        lat, lng = query.point
        return [f"_geoPoint({number(lat)}, {number(lng)}):asc", "tie:asc"]
    return SORTS.get(sort)


# Same keys and tie-breaks as tantivy_schema.date_key / points_key and title_sort.
SORTS = {
    "date": ["start_day:asc", "tie:asc"],
    "-date": ["start_day:desc", "tie:desc"],
    "end": ["end_day:asc", "tie:asc"],
    "points": ["max_points:desc", "start_day:asc", "tie:asc"],
    "title": ["title_sort:asc"],
}
