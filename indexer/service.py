"""SearchService: the one entry point the web pages and the JSON API call to search."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from functools import cached_property
from typing import Any

from catalog.reference import Reference, reference
from indexer.engines.base import SearchEngine
from indexer.query import FacetValue, SearchQuery, SearchResult

MAX_FACET_VALUES = 100
FORMAT_LABELS = {"in_person": "In person", "online": "Online", "hybrid": "Hybrid"}
FEE_LABELS = {"yes": "Fee", "free": "Free", "variable": "Variable fee"}
REGISTRATION_LABELS = {"open": "Open to all", "limited": "Limited"}
ProviderNames = Callable[[Iterable[str]], dict[str, str]]


class SearchService:
    """Runs SearchQuery objects on an engine and labels the facet values."""

    def __init__(
        self,
        engine: SearchEngine,
        *,
        provider_names: ProviderNames | None = None,
        today: Callable[[], date] = date.today,
        ref: Reference | None = None,
    ) -> None:
        self.engine = engine
        self.provider_names = provider_names or (lambda ids: {})
        self.today = today
        self.ref = ref or reference()

    def search(self, query: SearchQuery) -> SearchResult:
        """Search; facet values come count first, selected ones always present (even at 0)."""
        raw = self.engine.search(query, today=self.today())
        facets = {g: self._facet(g, raw.facets.get(g, []), query) for g in query.facets}
        return SearchResult(
            hits=raw.hits, total=raw.total, page=query.page, per_page=query.per_page, facets=facets
        )

    def iter_hits(self, query: SearchQuery, page_size: int = 500) -> Iterator[dict[str, Any]]:
        """Every hit of a query in its sort order, fetched a page at a time (for exports)."""
        today = self.today()  # one day for the whole export, even across midnight
        page = 1
        while True:
            part = replace(query, page=page, per_page=page_size, facets=())
            result = self.engine.search(part, today=today)
            yield from result.hits
            if page * page_size >= result.total or not result.hits:
                return
            page += 1

    def facet_options(self) -> dict[str, list[tuple[str, str]]]:
        """Every value of every reference facet group, with its label (for GET /facets)."""
        ref = self.ref
        boards = ref.active_boards()
        values: dict[str, list[str]] = {
            "board": [b.code for b in boards],
            "credit_type": [f"{b.code}:{c.code}" for b in boards for c in b.credit_types],
            "practice_area": [f"{b.code}:{p}" for b in boards for p in b.practice_areas],
            "specialty": list(ref.specialties),
            "activity_type": [a.code for a in ref.activity_types.values() if not a.maps_to_type],
            "format": list(ref.formats),
            "fee": [o.code for o in ref.fee_options],
            "registration": [o.code for o in ref.registration_options],
            "state": list(ref.us_states),
            "country": list(ref.countries),
        }
        out = {}
        for group, codes in values.items():
            labels = self.labels(group, codes)
            out[group] = [(code, labels.get(code, code)) for code in codes]
        return out

    def _facet(
        self, group: str, counts: list[tuple[str, int]], query: SearchQuery
    ) -> list[FacetValue]:
        selected = set(query.selected(group))
        by_value = dict(counts) | {v: 0 for v in selected if v not in dict(counts)}
        ordered = sorted(by_value.items(), key=lambda vc: (-vc[1], vc[0]))
        kept = ordered[:MAX_FACET_VALUES] + [
            vc for vc in ordered[MAX_FACET_VALUES:] if vc[0] in selected
        ]
        labels = self.labels(group, [v for v, _ in kept])
        return [FacetValue(v, labels.get(v, v), c, v in selected) for v, c in kept]

    def labels(self, group: str, values: list[str]) -> dict[str, str]:
        """Display labels of facet values (board names, credit type names, ...)."""
        if group == "provider":
            return self.provider_names(values)
        if group in self._fixed_labels:
            return self._fixed_labels[group]
        return {v: self._qualified_label(group, v) for v in values}

    @cached_property
    def _fixed_labels(self) -> dict[str, dict[str, str]]:
        """Labels that come straight from the reference data, built once (searches use them)."""
        ref = self.ref
        return {
            "board": {b.code: b.name for b in ref.boards.values()},
            "specialty": ref.specialties,
            "activity_type": {a.code: a.label for a in ref.activity_types.values()},
            "format": FORMAT_LABELS,
            "fee": FEE_LABELS,
            "registration": REGISTRATION_LABELS,
            "state": ref.us_states,
            "country": ref.countries,
        }

    def _qualified_label(self, group: str, value: str) -> str:
        """'ABIM:MK' -> 'Medical Knowledge (ABIM)'; practice areas keep their own names."""
        code, _, item = value.partition(":")
        board = self.ref.boards.get(code)
        if board is None:
            return value
        credit = board.credit_type(item) if group == "credit_type" else None
        return f"{credit.label if credit else item} ({board.display_code})"
