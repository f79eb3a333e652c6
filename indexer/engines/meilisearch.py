"""The server engine: a Meilisearch index, through the official synchronous client.

Same semantics as the tantivy engine: filters from ``meilisearch_filters``, disjunctive facets
through one non-federated multi-search (search-engines.md 1.3), the same sort keys and tie
breaks; highlighting happens above, in the search service, as for tantivy. Every write is a
task: we wait for it and raise on failure. A rebuild fills ``<index>_new`` and swaps it in.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import meilisearch
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)
from meilisearch.models.task import TaskInfo

from indexer.documents import TEXT_FIELDS, Hit, board_codes
from indexer.engines.base import EngineResult
from indexer.engines.meilisearch_filters import (
    METRES_PER_MILE,
    Filter,
    build_filter,
    sort_rules,
)
from indexer.engines.meilisearch_settings import SEARCH_CUTOFF_MS, index_settings, parse_version
from indexer.errors import EngineTimeout, EngineUnavailable, QueryRejected
from indexer.geo import haversine_mi
from indexer.query import SearchQuery, facet_plan
from indexer.vocabulary import FACET_FIELDS, KEYWORD_FIELDS, MINIMUMS

WRITE_WAIT_MS = 120_000
# Settings changes and full loads reindex everything; the client's 5 s default is far too short.
REBUILD_WAIT_MS = 1_800_000
POLL_MS = 100
# Codes meaning Meilisearch refused a query we built: a bug on our side, not an outage.
REJECTED_PREFIXES = ("invalid_search_", "invalid_multi_search_")
# What a key refused for lack of an action answers (403), or without any key (401).
KEY_REFUSED = ("invalid_api_key", "missing_authorization_header")
# Fields kept as they are; facet fields and _geo are handled in meili_document.
PLAIN_FIELDS = (
    "id",
    "hit",
    *TEXT_FIELDS,
    "title_sort",
    "start_day",
    "end_day",
    "points",
    *dict.fromkeys(p.field for p in MINIMUMS),
    "tie",
)


def meili_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Flatten a search document into what Meilisearch indexes."""
    out = {name: doc[name] for name in PLAIN_FIELDS}
    for name in KEYWORD_FIELDS:
        value = doc[name]
        # Empty values are left out, as tantivy indexes none, so neither engine counts "".
        if isinstance(value, list):
            out[name] = [v for v in value if v]
        elif value:
            out[name] = value
    if doc.get("lat") is not None and doc.get("lng") is not None:
        out["_geo"] = {"lat": doc["lat"], "lng": doc["lng"]}
    return out


class KeyRefused(EngineUnavailable):
    """The configured key may not do what was asked: it lacks an action (docs/deploy.md)."""

    code = "engine_key_refused"


@contextmanager
def needs(action: str, index: str) -> Iterator[None]:
    """Name the key action a request needs when Meilisearch refuses the key (403 says only
    "The provided API key is invalid", whichever action is missing)."""
    try:
        yield
    except MeilisearchApiError as exc:
        if exc.code in KEY_REFUSED:
            raise KeyRefused(
                f"Meilisearch refused the key ({exc.status_code} {exc.code}): it needs the "
                f"{action!r} action on index {index!r} (docs/deploy.md, API keys)"
            ) from exc
        raise


@contextmanager
def _boundary(action: str) -> Iterator[None]:
    """Map the client's exceptions to ours."""
    try:
        yield
    except MeilisearchTimeoutError as exc:
        raise EngineTimeout(f"Meilisearch {action}: timed out: {exc.message}") from exc
    except MeilisearchCommunicationError as exc:
        raise EngineUnavailable(f"Meilisearch {action}: unreachable: {exc.message}") from exc
    except MeilisearchApiError as exc:
        detail = f"Meilisearch {action}: {exc.status_code} {exc.code}: {exc.message}"
        if str(exc.code or "").startswith(REJECTED_PREFIXES):
            raise QueryRejected(detail) from exc
        raise EngineUnavailable(detail) from exc
    except MeilisearchError as exc:
        raise EngineUnavailable(f"Meilisearch {action}: {exc.message}") from exc


class MeilisearchEngine:
    """SearchEngine over a Meilisearch index."""

    name = "meilisearch"

    def __init__(
        self,
        url: str,
        key: str | None,
        index: str = "activities",
        timeout_s: float = 10.0,
        client: meilisearch.Client | None = None,
        boards: Iterable[str] | None = None,
        search_cutoff_ms: int = SEARCH_CUTOFF_MS,
    ) -> None:
        if client is None:
            # Typed int, but the client hands it to requests, which takes float seconds.
            client = meilisearch.Client(url, key, timeout=timeout_s)  # type: ignore[arg-type]
        self.client = client
        self.url = url
        self.uid = index
        self.boards = sorted(boards if boards is not None else board_codes())
        self.search_cutoff_ms = search_cutoff_ms
        self._version: tuple[int, int, int] | None = None
        self._version_asked = False

    @property
    def target(self) -> str:
        """This index's name among several the sync worker feeds (no credentials in it)."""
        return f"meilisearch {self.url} {self.uid}"

    def version(self) -> tuple[int, int, int] | None:
        """The server's version, read once (settings depend on it); None when the key may not
        read it (the documented sync key: newer servers refuse ``version`` on an index-scoped
        key), and the settings then take what every version accepts."""
        if not self._version_asked:
            try:
                with _boundary("version"), needs("version", "*"):
                    text = str(self.client.get_version()["pkgVersion"])
                self._version = parse_version(text)
            except KeyRefused:
                self._version = None
            self._version_asked = True
        return self._version

    # -- reading ----------------------------------------------------------------------------

    def search(self, query: SearchQuery, *, today: date) -> EngineResult:
        """Run a query as one multi-search (see SearchEngine.search)."""
        plan = facet_plan(query)
        # The step without a "without" (groups with no selection) rides on the main query.
        plain = next((s.groups for s in plan if s.without is None), ())
        steps = [s for s in plan if s.without is not None]
        queries = [self._main_query(query, today, plain)]
        queries += [self._facet_query(query, today, s.without, s.groups) for s in steps]
        with _boundary("search"):
            results = self.client.multi_search(queries)["results"]
        main = results[0]
        if any(_cut_off(doc) for doc in main["hits"]):
            raise EngineTimeout(
                f"Meilisearch search: cut off after searchCutoffMs ({self.search_cutoff_ms} ms);"
                " its hits would be in the wrong order"
            )
        hits = [self._hit(doc, query) for doc in main["hits"]]
        facets = _facets(main, plain)
        for step, result in zip(steps, results[1:], strict=True):
            facets |= _facets(result, step.groups)
        return EngineResult(hits=hits, total=int(main["totalHits"]), facets=facets)

    def _base_query(
        self, query: SearchQuery, today: date, without: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"indexUid": self.uid}
        words = query.words
        if words:
            # Only the folded words, so quotes and "-" never become phrase or negation syntax;
            # every word must match, as in tantivy (the default "last" drops words).
            body["q"] = " ".join(words)
            body["matchingStrategy"] = "all"
        body["filter"] = self._filter(query, today, without)
        return body

    def _filter(self, query: SearchQuery, today: date, without: str | None) -> Filter:
        return build_filter(query, today, self.boards, without=without)

    def _main_query(
        self, query: SearchQuery, today: date, facets: tuple[str, ...]
    ) -> dict[str, Any]:
        body = self._base_query(query, today)
        # page/hitsPerPage give an exhaustive totalHits, where offset/limit give an estimate.
        body["page"], body["hitsPerPage"] = query.page, query.per_page
        # The only sign that searchCutoffMs cut ranking short: "skipped" in the hits' details.
        body["showRankingScoreDetails"] = True
        if facets:
            body["facets"] = [FACET_FIELDS[g] for g in facets]
        sort = sort_rules(query)
        if sort:
            body["sort"] = sort
        return body

    def _facet_query(
        self, query: SearchQuery, today: date, without: str | None, groups: tuple[str, ...]
    ) -> dict[str, Any]:
        """Counts of ``groups`` under every filter but ``without``'s (disjunctive)."""
        body = self._base_query(query, today, without=without)
        body["facets"] = [FACET_FIELDS[g] for g in groups]
        body["limit"] = 0
        return body

    def _hit(self, doc: dict[str, Any], query: SearchQuery) -> Hit:
        hit: Hit = doc["hit"]
        if query.point is not None:
            miles = _miles(doc, query.point)
            if miles is not None:
                hit["distance_mi"] = miles
        return hit

    def count(self) -> int:
        """Return the number of documents in the live index.

        An exhaustive search that returns no hit: both documented keys may search, where
        the index stats need the stats.get action that neither has.
        """
        with _boundary("count"), needs("search", self.uid):
            result = self.client.index(self.uid).search("", {"page": 1, "hitsPerPage": 0})
        return int(result["totalHits"])

    def ping(self) -> None:
        """Raise EngineUnavailable unless the server reports itself available."""
        with _boundary("ping"):
            # Not client.health(): the client's shared HttpRequests pops Content-Type from its
            # header dict for a GET, which can strip it from a concurrent multi-search POST.
            # An Index object carries its own.
            health = self.client.index(self.uid).http.get(self.client.config.paths.health)
        status = health.get("status") if isinstance(health, dict) else None
        if status != "available":
            raise EngineUnavailable(f"Meilisearch health: {status!r}")

    # -- writing ----------------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the live index if missing and bring its settings up to date."""
        with _boundary("prepare"):
            self._create_index(self.uid, exists_ok=True)
            self._apply_settings(self.uid)

    def drop(self) -> None:
        """Delete the live index and any leftover rebuild index (tests clean up with it)."""
        with _boundary("drop"):
            self._delete_index(f"{self.uid}_new")
            self._delete_index(self.uid)

    def ensure_settings(self) -> None:
        """Apply the index settings to the live index and wait until they are in force."""
        with _boundary("settings"):
            self._apply_settings(self.uid)

    def _apply_settings(self, uid: str) -> None:
        settings = index_settings(self.boards, self.version(), self.search_cutoff_ms)
        with needs("settings.update", uid):
            task = self.client.index(uid).update_settings(settings)
        self._wait(task, REBUILD_WAIT_MS)

    def apply(self, upserts: list[dict[str, Any]], deletes: list[str]) -> None:
        """Delete, then add or replace (as tantivy: an id in both ends up present)."""
        with _boundary("apply"):
            tasks = []
            if deletes:
                tasks.append(self._delete_batch(self.uid, deletes))
            if upserts:
                tasks.append(self._add(self.uid, upserts))
            for task in tasks:
                self._wait(task, WRITE_WAIT_MS)

    def _add(self, uid: str, docs: list[dict[str, Any]]) -> TaskInfo:
        batch = [meili_document(d) for d in docs]
        with needs("documents.add", uid):
            return self.client.index(uid).add_documents(batch, primary_key="id")

    def _delete_batch(self, uid: str, ids: list[str]) -> TaskInfo:
        # The client's delete_documents(ids) warns DeprecationWarning on every call (it prefers
        # a filter); the server route it wraps, POST .../documents/delete-batch, is current.
        index = self.client.index(uid)
        path = f"{index.config.paths.index}/{uid}/{index.config.paths.document}/delete-batch"
        with needs("documents.delete", uid):
            return TaskInfo(**index.http.post(path, list(ids)))

    def rebuild(self, batches: Iterable[list[dict[str, Any]]]) -> int:
        """Fill ``<index>_new``, swap it with the live index, then drop the old data."""
        new = f"{self.uid}_new"
        with _boundary("rebuild"):
            self._delete_index(new)  # a leftover of a failed rebuild
            # Swapping needs both indexes; the first rebuild has no live one yet.
            self._create_index(self.uid, exists_ok=True)
            self._create_index(new)
            self._apply_settings(new)
            count, tasks = 0, []
            for batch in batches:
                if batch:
                    tasks.append(self._add(new, batch))
                    count += len(batch)
            for task in tasks:
                self._wait(task, REBUILD_WAIT_MS)
            self._swap(new)
            self._delete_index(new)  # now holds the old documents
        return count

    def _swap(self, new: str) -> None:
        """Swap ``new`` in and return once the live name serves it.

        The swap task belongs to no single index, so a key limited to ``<index>*`` cannot read
        it (task_not_found). An index's creation time moves with its data in a swap, so the
        swap is done when the live name reports the creation time of the index we built.
        """
        built = self._created_at(new)
        with needs("indexes.swap", f"{self.uid} and {new}"):
            self.client.swap_indexes([{"indexes": [self.uid, new]}])
        deadline = time.monotonic() + REBUILD_WAIT_MS / 1000
        while self._created_at(self.uid) != built:
            if time.monotonic() > deadline:
                raise EngineUnavailable(
                    f"Meilisearch rebuild: {new} was not swapped in within "
                    f"{REBUILD_WAIT_MS / 1000:.0f}s (see the server's task list)"
                )
            time.sleep(POLL_MS / 1000)

    def _created_at(self, uid: str) -> str:
        with needs("indexes.get", uid):
            info = self.client.index(uid).http.get(f"{self.client.config.paths.index}/{uid}")
        return str(info["createdAt"])

    def _create_index(self, uid: str, *, exists_ok: bool = False) -> None:
        with needs("indexes.create", uid):
            task = self.client.create_index(uid, {"primaryKey": "id"})
        self._wait(task, WRITE_WAIT_MS, tolerate=("index_already_exists",) if exists_ok else ())

    def _delete_index(self, uid: str) -> None:
        try:
            with needs("indexes.delete", uid):
                task = self.client.index(uid).delete()  # own HttpRequests, as in ping
        except MeilisearchApiError as exc:
            if exc.code == "index_not_found":
                return
            raise
        self._wait(task, WRITE_WAIT_MS, tolerate=("index_not_found",))

    def _wait(self, task: TaskInfo, timeout_ms: int, tolerate: tuple[str, ...] = ()) -> None:
        """Wait for a task; raise EngineUnavailable unless it succeeded (or failed harmlessly)."""
        with needs("tasks.get", str(task.index_uid)):
            done = self.client.wait_for_task(task.task_uid, timeout_ms, POLL_MS)
        if done.status == "succeeded":
            return
        error = done.error or {}
        if done.status == "failed" and error.get("code") in tolerate:
            return
        raise EngineUnavailable(
            f"Meilisearch task {done.uid} ({done.type}) {done.status}: "
            f"{error.get('code')}: {error.get('message')}"
        )

    def close(self) -> None:
        """Nothing to release: the client opens a connection per request."""


def _cut_off(doc: dict[str, Any]) -> bool:
    """Whether searchCutoffMs stopped the ranking of this hit (its details say "skipped")."""
    return "skipped" in (doc.get("_rankingScoreDetails") or {})


def _facets(result: dict[str, Any], groups: tuple[str, ...]) -> dict[str, list[tuple[str, int]]]:
    """Facet counts of ``groups`` from one result, most frequent first, then by value."""
    distribution: dict[str, dict[str, int]] = result.get("facetDistribution") or {}
    out = {}
    for group in groups:
        counts = distribution.get(FACET_FIELDS[group]) or {}
        pairs = [(str(v), int(n)) for v, n in counts.items() if int(n) > 0]
        out[group] = sorted(pairs, key=lambda p: (-p[1], p[0]))
    return out


def _miles(doc: dict[str, Any], point: tuple[float, float]) -> float | None:
    """Distance in miles to one decimal, from Meilisearch's _geoDistance or from _geo."""
    if doc.get("_geoDistance") is not None:
        return round(float(doc["_geoDistance"]) / METRES_PER_MILE, 1)
    geo = doc.get("_geo")
    if not geo or geo.get("lat") is None or geo.get("lng") is None:
        return None
    # _geoDistance comes only with a _geoPoint sort; the tantivy formula keeps both in step.
    return round(haversine_mi(point, (float(geo["lat"]), float(geo["lng"]))), 1)
