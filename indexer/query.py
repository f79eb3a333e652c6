"""SearchQuery: the public search parameters of api.md, validated; SearchResult: what comes back.

Both engines take a SearchQuery and never see raw request text: every filter value here has
been checked against the reference data, and only ``q`` is free text. Which parameters
exist, their kinds and their allowed values are declared in ``indexer.vocabulary``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache, cached_property
from typing import Literal, cast

from catalog.errors import FieldError
from catalog.fields import decimal_number, whole_number
from catalog.geo import resolve_point
from catalog.hints import closest, day_problem, same_ignoring_case
from catalog.reference import Reference, reference
from indexer.documents import Hit
from indexer.errors import InvalidQuery
from indexer.text import query_words
from indexer.vocabulary import (
    BY_NAME,
    FACET_GROUPS,
    FILTERS,
    FLAGS,
    MINIMUMS,
    SORTS,
    Param,
    Vocabulary,
)

Sort = Literal["relevance", "date", "-date", "end", "points", "distance", "title"]
SORT_NAMES: tuple[Sort, ...] = cast(tuple[Sort, ...], tuple(SORTS))
MAX_Q = 200
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
# Deepest result reachable by paging; Meilisearch's maxTotalHits is set to the same number.
MAX_DEPTH = 10_000
MAX_VALUES = 50  # per repeatable parameter
MAX_LISTED = 6  # codes an error message lists at most
# Filter values in one request, all parameters together: each one costs a term in every
# facet count, and a page offers to drop each; a physician ticks a handful.
MAX_FILTER_VALUES = 60
# What a single-valued parameter given more than once gets, here and on every other route
# (api.params): taking one of the values silently would answer another question.
GIVEN_TWICE = "give this parameter once"
WORD_CHAR = re.compile(r"[^\W_]")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class SearchQuery:
    """A validated search. Filters are OR within a parameter and AND across parameters.

    ``filters`` holds the selected codes of every keyword and choice parameter of the
    vocabulary (also the facet groups); ``minimums`` the numbers of the minimum parameters;
    ``flags`` the names of the flag parameters set to true.
    ``point`` is ``near`` resolved to (lat, lng). ``sort`` is what was asked for, or the
    default: ``relevance`` with ``q``, else ``date``.
    """

    q: str | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    minimums: Mapping[str, float] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()
    date_from: date | None = None
    date_to: date | None = None
    near: str | None = None
    point: tuple[float, float] | None = None
    radius_mi: float = 50.0
    sort: Sort = "date"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    facets: tuple[str, ...] = FACET_GROUPS

    @classmethod
    def of(cls, **values: object) -> SearchQuery:
        """Build a query naming filters as keywords: ``SearchQuery.of(board=("ABIM",))``."""
        filters = {k: _codes(values.pop(k)) for k in list(values) if k in _FILTER}
        minimums = {k: cast(float, values.pop(k)) for k in list(values) if k in _MINIMUM}
        flags = frozenset(k for k in list(values) if k in _FLAG and values.pop(k))
        return cls(filters=filters, minimums=minimums, flags=flags, **values)  # type: ignore[arg-type]

    def selected(self, group: str) -> tuple[str, ...]:
        """The codes selected in a filter (a facet group)."""
        return self.filters.get(group, ())

    def minimum(self, name: str) -> float | None:
        return self.minimums.get(name)

    @cached_property
    def words(self) -> list[str]:
        """The folded words of ``q`` that the engines search for."""
        return query_words(self.q)

    @property
    def effective_sort(self) -> Sort:
        """The order the engines apply: distance needs a place and relevance needs words;
        without them the order falls back to relevance, then to date."""
        sort: Sort = self.sort
        if sort == "distance" and self.point is None:
            sort = "relevance"
        return "date" if sort == "relevance" and not self.words else sort

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def without(self, name: str, value: str | None = None) -> SearchQuery:
        """This search without one filter value (or the whole parameter), back on page 1."""
        if name in _FILTER:
            kept = tuple(v for v in self.selected(name) if value is not None and v != value)
            return replace(self, filters=_set(self.filters, name, kept), page=1)
        if name in _MINIMUM:
            minimums = {k: v for k, v in self.minimums.items() if k != name}
            return replace(self, minimums=minimums, page=1)
        if name in _FLAG:
            return replace(self, flags=self.flags - {name}, page=1)
        # The sort may stay: without a place or words, effective_sort falls back to date.
        if name == "near":
            return replace(self, near=None, point=None, page=1)
        if name == "q":
            return replace(self, q=None, page=1)
        if name == "date_from":
            return replace(self, date_from=None, page=1)
        if name == "date_to":
            return replace(self, date_to=None, page=1)
        raise ValueError(f"not a filter: {name}")


_FILTER = {p.name for p in FILTERS}


def _codes(value: object) -> tuple[str, ...]:
    """One code (a choice such as registration="open") or several, as a tuple."""
    return (value,) if isinstance(value, str) else tuple(cast(tuple[str, ...], value))


_MINIMUM = {p.name for p in MINIMUMS}
_FLAG = {p.name for p in FLAGS}


def _set(
    filters: Mapping[str, tuple[str, ...]], name: str, values: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    out = {k: v for k, v in filters.items() if k != name}
    if values:
        out[name] = values
    return out


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    """One page of hits, the exact total, and the facet counts asked for."""

    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """The pages that can be fetched: results past MAX_DEPTH are not paged (api.md)."""
        return min(math.ceil(self.total / self.per_page), last_page(self.per_page))

    @property
    def deeper_than_paging(self) -> bool:
        """Whether some results lie past the last page that can be fetched."""
        return self.total > self.pages * self.per_page


def last_page(per_page: int) -> int:
    """The deepest page of ``per_page`` hits that starts before result MAX_DEPTH."""
    return math.ceil(MAX_DEPTH / per_page)


@dataclass(frozen=True)
class FacetCount:
    """One step of the facet plan: count ``groups`` under every filter but ``without``'s."""

    groups: tuple[str, ...]
    without: str | None = None


def facet_plan(query: SearchQuery) -> list[FacetCount]:
    """Disjunctive faceting: groups without a selection are counted under every filter, in
    one step; each group with a selection under every filter but its own, so a physician
    who ticked ABIM still sees how many ABP activities there are."""
    plain = tuple(g for g in query.facets if not query.selected(g))
    plan = [FacetCount(plain)] if plain else []
    return plan + [FacetCount((g,), g) for g in query.facets if query.selected(g)]


@dataclass(frozen=True)
class Parsed:
    """A parse: the query built from every valid value, the problems, and the parameters
    as sent minus the values that were wrong (what links on a page carry on)."""

    query: SearchQuery
    problems: tuple[FieldError, ...]
    kept: dict[str, list[str]]


def parse(params: Mapping[str, Sequence[str]], ref: Reference | None = None) -> Parsed:
    """Parse request parameters (each a list of strings), keeping what is valid."""
    reader = _Reader(params, _vocabulary(ref))
    query = reader.build()
    return Parsed(query, tuple(reader.errors), reader.kept)


def parse_search(params: Mapping[str, Sequence[str]], ref: Reference | None = None) -> SearchQuery:
    """Build a SearchQuery from request parameters; raise InvalidQuery on any problem."""
    parsed = parse(params, ref)
    if parsed.problems:
        raise InvalidQuery(list(parsed.problems))
    return parsed.query


@cache
def _default_vocabulary() -> Vocabulary:
    return Vocabulary(reference())


def _vocabulary(ref: Reference | None) -> Vocabulary:
    return _default_vocabulary() if ref is None or ref is reference() else Vocabulary(ref)


class _Reader:
    """Reads parameters one by one; a wrong value is reported and left out of ``kept``."""

    def __init__(self, params: Mapping[str, Sequence[str]], vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.errors: list[FieldError] = []
        self.kept = {n: [v for v in values if v.strip()] for n, values in params.items()}
        self.kept = {n: v for n, v in self.kept.items() if v}
        self.filter_values = 0
        for name in params:
            if name not in BY_NAME:
                self.reject(name, "unknown parameter")

    def reject(self, name: str, message: str, value: str | None = None) -> None:
        """Report a problem and forget the value (or, without one, the whole parameter)."""
        self.errors.append(FieldError(name, message, value))
        values = self.kept.get(name, [])
        if value is not None and value in values and len(values) > 1:
            self.kept[name] = [v for v in values if v != value]
        else:
            self.kept.pop(name, None)

    def many(self, name: str) -> list[str]:
        values = list(dict.fromkeys(v.strip() for v in self.kept.get(name, ())))
        if len(values) > MAX_VALUES:
            self.errors.append(FieldError(name, f"at most {MAX_VALUES} values"))
            values = values[:MAX_VALUES]
            self.kept[name] = values
        return values

    def one(self, name: str) -> str | None:
        raw = self.kept.get(name, [])
        if len(raw) > 1:
            self.reject(name, GIVEN_TWICE)
            return None
        return raw[0].strip() if raw else None

    def codes(self, param: Param) -> tuple[str, ...]:
        found = []
        for value in self.many(param.name):
            code = self.known(param, value)
            if code is None:
                self.reject(param.name, self.unknown(param, value), value)
            elif self.filter_values >= MAX_FILTER_VALUES:
                self.reject(param.name, f"at most {MAX_FILTER_VALUES} filter values in all", value)
            else:
                self.filter_values += 1
                found.append(code)
        return tuple(found)

    def known(self, param: Param, value: str) -> str | None:
        """The accepted code ``value`` stands for: itself, or the one code it matches but for
        case (``abim`` is ABIM); the kept parameters then carry the code."""
        if self.vocabulary.accepts(param.name, value):
            return value
        code = same_ignoring_case(value, self.vocabulary.labels(param.name))
        if code is not None:
            values = self.kept.get(param.name, [])
            self.kept[param.name] = [code if v.strip() == value else v for v in values]
        return code

    def unknown(self, param: Param, value: str) -> str:
        """Why a code is not accepted, with the code the caller probably meant."""
        message = f"unknown value {value!r}"
        labels = self.vocabulary.labels(param.name)
        if param.by_board and ":" not in value:
            meant = [c for c in labels if same_ignoring_case(value, [c.split(":", 1)[1]])]
            if meant:
                shown = ", ".join(meant[:MAX_LISTED])
                return f"{message}: give it with its board, as BOARD:{value} ({shown})"
        board, _, _ = value.partition(":")
        if param.by_board and board in self.vocabulary.board_titles:
            # Only that board's codes: ABP:MK is not "ABIM:MK" misspelt.
            labels = {c: label for c, label in labels.items() if c.startswith(board + ":")}
            if len(labels) <= MAX_LISTED:
                return f"{message}; {board} has {', '.join(labels) or 'none'}"
        by_label = {label: code for code, label in labels.items()}
        found = closest(value, [*labels, *by_label])
        if found is not None:
            return f"{message}; did you mean {by_label.get(found, found)!r}?"
        return message

    def choice(self, param: Param) -> tuple[str, ...]:
        value = self.one(param.name)
        if value is None:
            return ()
        code = self.known(param, value)
        if code is not None:
            return (code,)
        allowed = " or ".join(self.vocabulary.labels(param.name))
        self.reject(param.name, f"must be {allowed}", value)
        return ()

    def number(self, name: str, low: float, high: float) -> float | None:
        text = self.one(name)
        if text is None:
            return None
        number = decimal_number(text)
        if number is None or not low <= number <= high:
            self.reject(name, f"must be a number from {low:g} to {high:g}", text)
            return None
        return number

    def integer(self, name: str, low: int, high: int, default: int) -> int:
        text = self.one(name)
        if text is None:
            return default
        number = whole_number(text)
        if number is None or not low <= number <= high:
            self.reject(name, f"must be a whole number from {low} to {high}", text)
            return default
        return number

    def day(self, name: str) -> date | None:
        text = self.one(name)
        if text is None:
            return None
        try:
            if ISO_DAY.fullmatch(text):
                return date.fromisoformat(text)
        except ValueError:
            pass
        self.reject(name, day_problem(text), text)
        return None

    def build(self) -> SearchQuery:
        q = self.text()
        near = self.one("near")
        point = resolve_point(near) if near else None
        if near and point is None:
            self.reject("near", "must be a known US ZIP code or 'lat,lng'", near)
            near = None
        per_page = self.integer("per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE)
        page = self.page(per_page)
        sort = self.sort(q, point)
        date_from, date_to = self.day("date_from"), self.day("date_to")
        if date_from and date_to and date_to < date_from:
            self.reject("date_to", "must be on or after date_from", date_to.isoformat())
            date_to = None
        filters = {}
        for param in FILTERS:
            values = self.codes(param) if param.kind == "keywords" else self.choice(param)
            if values:
                filters[param.name] = values
        radius = BY_NAME["radius_mi"]
        return SearchQuery(
            q=q,
            filters=filters,
            date_from=date_from,
            date_to=date_to,
            near=near,
            point=point,
            radius_mi=self.number(radius.name, radius.low, radius.high) or 50.0,
            minimums=self.minimums(),
            flags=self.flags(),
            sort=sort,
            page=page,
            per_page=per_page,
            facets=self.facets(),
        )

    def page(self, per_page: int) -> int:
        """The page asked for; results past MAX_DEPTH are not paged (api.md: use the export)."""
        text = self.one("page")
        if text is None:
            return 1
        number = whole_number(text)
        if number is None or number < 1:
            self.reject("page", "pages are numbered from 1", text)
            return 1
        last = last_page(per_page)
        if number > last:
            message = (
                f"results past the {MAX_DEPTH:,}th are not paged: with per_page={per_page} the "
                f"last page is {last:,}; narrow the search or use the export"
            )
            self.reject("page", message, text)
            return 1
        return number

    def text(self) -> str | None:
        q = self.one("q")
        if q is not None and not WORD_CHAR.search(q):
            return None  # only punctuation: nothing to search for, so no relevance order either
        if q is not None and len(q) > MAX_Q:
            self.reject("q", f"must be at most {MAX_Q} characters", q)
            return None
        return q

    def minimums(self) -> dict[str, float]:
        found = {}
        for param in MINIMUMS:
            value = self.number(param.name, param.low, param.high)
            if value is not None:
                found[param.name] = value
        return found

    def flags(self) -> frozenset[str]:
        found = set()
        for param in FLAGS:
            value = self.one(param.name)
            if value is None:
                continue
            if value.lower() == "false":
                self.kept.pop(param.name, None)  # the same search as leaving it out
                continue
            if value.lower() == "true":
                found.add(param.name)
            else:
                self.reject(param.name, "must be true or false", value)
        return frozenset(found)

    def facets(self) -> tuple[str, ...]:
        if "facets" not in self.kept:
            return FACET_GROUPS
        found = []
        for value in self.many("facets"):
            if value in FACET_GROUPS:
                found.append(value)
            else:
                self.reject("facets", f"unknown value {value!r}", value)
        return tuple(found)

    def sort(self, q: str | None, point: tuple[float, float] | None) -> Sort:
        value = self.one("sort")
        if value is None:
            return "relevance" if q else "date"
        if value not in SORT_NAMES:
            self.reject("sort", "must be one of: " + ", ".join(SORT_NAMES), value)
            return "relevance" if q else "date"
        if value == "distance" and point is None and "near" not in self.kept:
            self.reject("sort", "sort=distance needs near", value)
            return "relevance" if q else "date"
        return value
