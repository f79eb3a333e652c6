"""The embedded engine: a tantivy index on disk under ``MOC_DATA_DIR/index``.

Layout: each full build is a directory ``gen-<n>``; the file ``CURRENT`` names the live one.
A rebuild writes a new directory and switches ``CURRENT`` with an atomic rename, so readers
(in this or any other process) move over on their next search without ever seeing a
half-built index. One writer at a time: a lock in this process, tantivy's lock file across
processes (a second writer gets EngineUnavailable and retries).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import tantivy

from catalog.synonyms import synonyms
from indexer.documents import Hit, board_codes
from indexer.engines.base import EngineResult
from indexer.engines.spare_threads import SpareThreads
from indexer.engines.tantivy_geo import cover
from indexer.engines.tantivy_lexicon import Lexicon, TermMatch
from indexer.engines.tantivy_query import (
    all_of,
    as_filter,
    cell_set,
    filter_clauses,
    set_without,
    side_by_side,
    text_query,
)
from indexer.engines.tantivy_schema import (
    FOLDED,
    TEXT_BOOSTS,
    build_schema,
    folding_analyzer,
    to_tantivy,
)
from indexer.errors import EngineUnavailable, IndexOutdated
from indexer.geo import miles_from
from indexer.query import SearchQuery, facet_plan
from indexer.query_terms import query_terms
from indexer.vocabulary import FACET_FIELDS

POINTER = "CURRENT"
WRITE_HEAP = 64_000_000
REBUILD_HEAP = 256_000_000
FACET_SIZE = 10_000
# Key field and order per sort; relevance uses the score, distance is sorted here.
ORDER = {
    "date": ("date_key", tantivy.Order.Asc),
    "-date": ("date_key", tantivy.Order.Desc),
    "end": ("end_key", tantivy.Order.Asc),
    "points": ("points_key", tantivy.Order.Desc),
    "title": ("title_sort", tantivy.Order.Asc),
}


class TantivyEngine:
    """SearchEngine over an on-disk tantivy index."""

    name = "tantivy"

    def __init__(self, root: Path, boards: Iterable[str] | None = None) -> None:
        self.root = root
        self.boards = sorted(boards if boards is not None else board_codes())
        self.schema = build_schema(self.boards)
        self._write_lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._live: tuple[str, Any] | None = None
        self.lexicon = Lexicon(TEXT_BOOSTS)
        # Facet counts run beside the page search on a free core (spare_threads).
        self._counting = SpareThreads(os.cpu_count() or 2, "facets")
        root.mkdir(parents=True, exist_ok=True)
        if not (root / POINTER).exists():
            self._create("gen-0")
            self._switch("gen-0")

    # -- index directories ------------------------------------------------------------------

    def _create(self, name: str) -> Any:
        index = tantivy.Index(self.schema, path=str(self._dir(name)), reuse=False)
        self._register(index)
        return index

    def _dir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _register(self, index: Any) -> None:
        # Tokenizers are not persisted with the index: register them on every open.
        index.register_tokenizer(FOLDED, folding_analyzer())

    def _switch(self, name: str) -> None:
        tmp = self.root / f"{POINTER}.tmp"
        tmp.write_text(name, encoding="utf-8")
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self.root / POINTER)

    def _pointer(self) -> str:
        return (self.root / POINTER).read_text(encoding="utf-8").strip()

    def _index(self) -> Any:
        """The live index, reopened when ``CURRENT`` names a new generation."""
        name = self._pointer()
        live = self._live
        if live is not None and live[0] == name:
            return live[1]
        with self._open_lock:
            for _attempt in range(5):
                try:
                    index = self._open(name)
                except EngineUnavailable:
                    # A rebuild may have switched and removed that generation meanwhile.
                    newer = self._pointer()
                    if newer == name:
                        raise
                    name = newer
                    continue
                self._live = (name, index)
                return index
            raise EngineUnavailable("the search index keeps changing; try again")

    def _open(self, name: str) -> Any:
        path = self.root / name
        if not (path / "meta.json").exists():
            raise EngineUnavailable(f"search index generation {name} is missing")
        try:
            index = tantivy.Index(self.schema, path=str(path), reuse=True)
        except ValueError as exc:
            message = "the search index does not match this version: run `moc-catalog reindex`"
            raise IndexOutdated(f"{message} ({exc})") from exc
        self._register(index)
        return index

    # -- reading ----------------------------------------------------------------------------

    def search(self, query: SearchQuery, *, today: date) -> EngineResult:
        """Run a query against the live index (see SearchEngine.search)."""
        searcher = self._index().searcher()
        distances, geo = None, []
        if query.point:
            radius = self._radius(searcher, query.point, query.radius_mi)
            geo = [radius]
            if query.sort == "distance":
                distances = self._distances(searcher, radius, query.point)
        words = query.words
        text = text_query(self.schema, words, self._matches(searcher, words))
        main = self._combine(text, filter_clauses(self.schema, query, today) + geo)
        counting = self._facets(searcher, query, today, text, geo)
        total, addresses = self._page(searcher, main, query, distances)
        hits = [self._hit(searcher, a) for a in addresses]
        if query.point and addresses:
            for hit, miles in zip(hits, self._miles(searcher, addresses, query.point), strict=True):
                hit["distance_mi"] = round(miles, 1)
        facets: dict[str, list[tuple[str, int]]] = {}
        for step in counting:
            facets |= step.result()
        return EngineResult(hits=hits, total=total, facets=facets)

    def _matches(self, searcher: Any, words: list[str]) -> list[TermMatch]:
        if not words or self._live is None:
            return []
        name = self._live[0]
        meta = (self.root / name / "meta.json").stat()  # rewritten by every commit
        terms = query_terms(words, synonyms())

        def pairs(left: str, right: str) -> int:
            found = searcher.search(side_by_side(self.schema, left, right), limit=1, count=True)
            return int(found.count)

        generation = (name, meta.st_mtime_ns, meta.st_size)
        return self.lexicon.matches(searcher, generation, terms, pairs)

    def _combine(self, text: Any | None, filters: list[Any]) -> Any:
        if text is None:
            return as_filter(filters)
        return all_of([text, as_filter(filters)])

    def _radius(self, searcher: Any, point: tuple[float, float], radius_mi: float) -> Any:
        """The documents within ``radius_mi`` of ``point``: the cells covering the circle
        (tantivy_geo), less the members of its edge cells that the exact test puts outside."""
        cells = cover(point, radius_mi)
        edge = self._members(searcher, cell_set(self.schema, cells.edge))
        outside = [
            num
            for num, miles in zip(
                searcher.fast_field_values("doc_num", edge),
                self._miles(searcher, edge, point),
                strict=True,
            )
            if miles > radius_mi
        ]
        return set_without(self.schema, cell_set(self.schema, cells.inside + cells.edge), outside)

    def _distances(
        self, searcher: Any, radius: Any, point: tuple[float, float]
    ) -> dict[int, float]:
        """{doc_num: miles} of every document of the radius filter (to sort by distance)."""
        members = self._members(searcher, radius)
        nums = searcher.fast_field_values("doc_num", members)
        return dict(zip(nums, self._miles(searcher, members, point), strict=True))

    @staticmethod
    def _members(searcher: Any, query: Any) -> list[Any]:
        """Every document matching ``query``, in no particular order."""
        # Collecting allocates room for `limit` hits: ask for as many as there are.
        count = searcher.search(query, limit=1, count=True).count
        if not count:
            return []
        return [a for _, a in searcher.search(query, limit=count, count=False).hits]

    @staticmethod
    def _miles(searcher: Any, addresses: list[Any], point: tuple[float, float]) -> list[float]:
        lats = searcher.fast_field_values("lat", addresses)
        return miles_from(point, lats, searcher.fast_field_values("lng", addresses))

    def _page(
        self,
        searcher: Any,
        main: Any,
        query: SearchQuery,
        distances: dict[int, float] | None,
    ) -> tuple[int, list[Any]]:
        if query.sort == "distance" and distances is not None:
            found = searcher.search(main, limit=max(1, len(distances)))
            addresses = [a for _, a in found.hits]
            nums = searcher.fast_field_values("doc_num", addresses)
            ties = searcher.fast_field_values("tie", addresses)
            ranked = sorted(
                zip(nums, ties, addresses, strict=True), key=lambda t: (distances[t[0]], t[1])
            )
            return len(ranked), [
                a for _, _, a in ranked[query.offset : query.offset + query.per_page]
            ]
        options: dict[str, Any] = {"limit": query.per_page, "offset": query.offset}
        if query.effective_sort in ORDER:
            options["order_by_field"], options["order"] = ORDER[query.effective_sort]
        found = searcher.search(main, **options)
        return int(found.count), [a for _, a in found.hits]

    @staticmethod
    def _hit(searcher: Any, address: Any) -> Hit:
        hit: Hit = orjson.loads(searcher.doc(address).get_first("payload"))
        return hit

    def _facets(
        self, searcher: Any, query: SearchQuery, today: date, text: Any | None, geo: list[Any]
    ) -> list[Future[dict[str, list[tuple[str, int]]]]]:
        """The counts of each step of the facet plan, started beside the page search where a
        core is free (tantivy leaves the GIL while it aggregates)."""
        steps = []
        for step in facet_plan(query):
            filters = filter_clauses(self.schema, query, today, without=step.without) + geo
            counted = self._combine(text, filters)
            steps.append(
                self._counting.start(partial(self._aggregate, searcher, counted, step.groups))
            )
        return steps

    def _aggregate(
        self, searcher: Any, query: Any, groups: tuple[str, ...]
    ) -> dict[str, list[tuple[str, int]]]:
        spec = {g: {"terms": {"field": FACET_FIELDS[g], "size": FACET_SIZE}} for g in groups}
        result = searcher.aggregate(query, spec)
        return {
            g: [(str(b["key"]), int(b["doc_count"])) for b in result[g]["buckets"]] for g in groups
        }

    def prepare(self) -> None:
        """Nothing to do: the constructor creates the first generation."""

    def count(self) -> int:
        return int(self._index().searcher().num_docs)

    def ping(self) -> None:
        self._index()

    # -- writing ----------------------------------------------------------------------------

    def apply(self, upserts: list[dict[str, Any]], deletes: list[str]) -> None:
        """Upsert and delete in one commit; readers in this process see it on return."""
        with self._write_lock:
            index = self._index()
            writer = self._writer(index, WRITE_HEAP, 1)
            try:
                for activity_id in [*deletes, *(d["id"] for d in upserts)]:
                    writer.delete_documents_by_term("id", activity_id)
                for doc in upserts:
                    writer.add_document(to_tantivy(doc, self.boards, self.schema))
                self._commit(writer)
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            index.reload()

    @staticmethod
    def _commit(writer: Any) -> None:
        try:
            writer.commit()
        except ValueError as exc:  # tantivy reports I/O failures (a full disk) as ValueError
            raise EngineUnavailable(f"the search index could not commit: {exc}") from exc

    def _writer(self, index: Any, heap: int, threads: int) -> Any:
        try:
            return index.writer(heap, threads)
        except ValueError as exc:  # LockBusy: another process is writing
            raise EngineUnavailable(f"the search index is being written elsewhere: {exc}") from exc

    def rebuild(self, batches: Iterable[list[dict[str, Any]]]) -> int:
        """Build a new generation from ``batches``, then switch ``CURRENT`` to it."""
        with self._write_lock:
            name = f"gen-{time.time_ns()}"
            index = self._create(name)
            writer = self._writer(index, REBUILD_HEAP, 2)
            count = 0
            try:
                for batch in batches:
                    for doc in batch:
                        writer.add_document(to_tantivy(doc, self.boards, self.schema))
                    count += len(batch)
                writer.commit()
            except BaseException:
                writer.rollback()
                writer.wait_merging_threads()
                shutil.rmtree(self.root / name, ignore_errors=True)
                raise
            writer.wait_merging_threads()
            previous = self._pointer()
            self._switch(name)
            self._drop_old_generations(keep={name, previous})
            return count

    def _drop_old_generations(self, keep: set[str]) -> None:
        # The previous generation stays until the next rebuild, so a reader that read the
        # old pointer a moment ago can still open it; open files survive deletion on POSIX.
        for path in self.root.glob("gen-*"):
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        self._live = None
