"""The engine port: what every search engine adapter must do, and what it returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from indexer.documents import Hit
from indexer.query import SearchQuery


@dataclass
class EngineResult:
    """Raw engine answer: hits in order (with ``distance_mi`` when the query has a place), the
    exact total, and for each group of the facet plan the (value, count) pairs with a count
    above 0."""

    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


class SearchEngine(Protocol):
    """A search engine holding the documents of ``indexer.documents``."""

    name: str

    def search(self, query: SearchQuery, *, today: date) -> EngineResult:
        """Run a query; activities that ended before ``today`` are never returned or counted.

        Hits come in ``query.effective_sort`` order; facets are counted as
        ``indexer.query.facet_plan`` says.

        Raises EngineUnavailable when the engine cannot answer, QueryRejected when it refuses
        the query built (a bug).
        """
        ...

    def apply(self, upserts: list[dict[str, Any]], deletes: list[str]) -> None:
        """Add or replace ``upserts`` and remove the ids in ``deletes``; return once durable.

        Raises EngineUnavailable when the change was not acknowledged (nothing may be assumed
        written then; the caller retries).
        """
        ...

    def prepare(self) -> None:
        """Create the live index and apply its settings if needed; cheap and idempotent.

        Raises EngineUnavailable when the engine cannot be reached.
        """
        ...

    def rebuild(self, batches: Iterable[list[dict[str, Any]]]) -> int:
        """Build a fresh index from ``batches`` and switch to it atomically; return its size.

        Searches keep using the old index until the switch.
        """
        ...

    def count(self) -> int:
        """Return the number of documents in the live index."""
        ...

    def ping(self) -> None:
        """Raise EngineUnavailable unless the engine answers."""
        ...

    def close(self) -> None:
        """Release files, threads and connections."""
        ...
