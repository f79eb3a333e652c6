"""Several independent Meilisearch instances, each holding the whole index (high availability
on the Community Edition, docs/deploy.md). The API reads from the first that answers; the sync
worker feeds each one from a queue of its own (indexer.sync.FanOutSyncer)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from indexer.engines.base import EngineResult
from indexer.engines.meilisearch import MeilisearchEngine
from indexer.errors import EngineUnavailable
from indexer.query import SearchQuery


class MeilisearchInstances:
    """SearchEngine over several instances: reads fail over in the configured order."""

    name = "meilisearch"

    def __init__(self, engines: list[MeilisearchEngine]) -> None:
        if not engines:
            raise ValueError("no Meilisearch instance given")
        self.engines = engines

    def search(self, query: SearchQuery, *, today: date) -> EngineResult:
        """Search the first instance that answers (a cut-off search counts as no answer)."""
        errors = []
        for engine in self.engines:
            try:
                return engine.search(query, today=today)
            except EngineUnavailable as exc:
                errors.append(exc)
        raise errors[-1]

    def statuses(self) -> dict[str, bool]:
        """Per instance URL, whether it answers now (for /readyz and /metrics)."""
        out = {}
        for engine in self.engines:
            try:
                engine.ping()
                out[engine.url] = True
            except EngineUnavailable:
                out[engine.url] = False
        return out

    def ping(self) -> None:
        """Raise EngineUnavailable unless at least one instance answers."""
        if not any(self.statuses().values()):
            raise EngineUnavailable("no Meilisearch instance answers")

    def count(self) -> int:
        for engine in self.engines[:-1]:
            try:
                return engine.count()
            except EngineUnavailable:
                continue
        return self.engines[-1].count()

    # Writes go to every instance; the sync worker uses the instances one by one instead.
    def prepare(self) -> None:
        for engine in self.engines:
            engine.prepare()

    def apply(self, upserts: list[dict[str, Any]], deletes: list[str]) -> None:
        for engine in self.engines:
            engine.apply(upserts, deletes)

    def rebuild(self, batches: Iterable[list[dict[str, Any]]]) -> int:
        docs = list(batches)
        return [engine.rebuild(docs) for engine in self.engines][-1]

    def close(self) -> None:
        for engine in self.engines:
            engine.close()
