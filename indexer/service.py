"""SearchService: the one entry point the web pages and the JSON API call to search.

What is the same on every engine lives here, above the adapters: highlighting the words of
the query, ordering and labelling facet values, and timing each search.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date

from catalog.reference import Reference, reference
from indexer.documents import Hit
from indexer.engines.base import SearchEngine
from indexer.query import FacetValue, SearchQuery, SearchResult
from indexer.text import highlight
from indexer.vocabulary import BY_NAME, FACET_GROUPS, Vocabulary

MAX_FACET_VALUES = 100
ProviderNames = Callable[[Iterable[str]], dict[str, str]]
Observer = Callable[[float], None]


class SearchService:
    """Runs SearchQuery objects on an engine and labels the facet values.

    ``observe`` is called with the seconds each search took (the latency metric).
    """

    def __init__(
        self,
        engine: SearchEngine,
        *,
        provider_names: ProviderNames | None = None,
        today: Callable[[], date] = date.today,
        ref: Reference | None = None,
        observe: Observer | None = None,
    ) -> None:
        self.engine = engine
        self.provider_names = provider_names or (lambda ids: {})
        self.today = today
        self.ref = ref or reference()
        self.vocabulary = Vocabulary(self.ref)
        self.observe = observe

    def search(self, query: SearchQuery) -> SearchResult:
        """Search; facet values come count first, selected ones always present (even at 0)."""
        started = time.perf_counter()
        try:
            raw = self.engine.search(query, today=self.today())
        finally:
            if self.observe is not None:
                self.observe(time.perf_counter() - started)
        if query.words:
            for hit in raw.hits:
                hit["highlight"] = {"title": highlight(hit["title"], query.words)}
        facets = {g: self._facet(g, raw.facets.get(g, []), query) for g in query.facets}
        return SearchResult(
            hits=raw.hits, total=raw.total, page=query.page, per_page=query.per_page, facets=facets
        )

    def instances(self) -> dict[str, bool] | None:
        """Whether each instance answers, when the engine is several (Meilisearch instances
        fed independently); None for a single engine."""
        statuses = getattr(self.engine, "statuses", None)
        return statuses() if callable(statuses) else None

    def count(self, query: SearchQuery) -> int:
        """How many activities match (no hits, no facets)."""
        return self.search(replace(query, facets=(), per_page=1, page=1)).total

    def iter_hits(self, query: SearchQuery, page_size: int = 500) -> Iterator[Hit]:
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
        out = {}
        for group in FACET_GROUPS:
            if BY_NAME[group].labels is None:
                continue  # values that are not reference data (providers)
            labels = self.vocabulary.labels(group)
            out[group] = [(code, labels.get(code, code)) for code in self.vocabulary.offered(group)]
        return out

    def _facet(
        self, group: str, counts: list[tuple[str, int]], query: SearchQuery
    ) -> list[FacetValue]:
        selected = set(query.selected(group))
        found = dict(counts)
        by_value = found | {v: 0 for v in selected if v not in found}
        ordered = sorted(by_value.items(), key=lambda vc: (-vc[1], vc[0]))
        kept = ordered[:MAX_FACET_VALUES] + [
            vc for vc in ordered[MAX_FACET_VALUES:] if vc[0] in selected
        ]
        labels = self.labels(group, [v for v, _ in kept])
        return [FacetValue(v, labels.get(v, v), c, v in selected) for v, c in kept]

    def labels(self, group: str, values: list[str]) -> dict[str, str]:
        """Display labels of facet values (board names, credit type names, ...)."""
        if BY_NAME[group].labels is None:
            return self.provider_names(values)
        return self.vocabulary.labels(group)

    def label(self, group: str, value: str) -> str:
        return self.labels(group, [value]).get(value, value)
