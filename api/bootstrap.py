"""Wiring from settings: which engine, where its files live. Used by app.py and cli.py only."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import Engine

from api.settings import Settings
from catalog import repository as repo
from catalog.db import session_scope
from indexer.documents import board_codes
from indexer.engines.base import SearchEngine
from indexer.engines.tantivy import TantivyEngine
from indexer.rebuild import rebuild_index, rebuild_targets
from indexer.service import Observer, SearchService
from indexer.sync import FanOutSyncer, Syncer, Target


def make_search_engine(settings: Settings) -> SearchEngine:
    """The engine the settings name; nothing is contacted until it is used."""
    if settings.search_engine == "meilisearch":
        from indexer.engines.meilisearch import MeilisearchEngine  # noqa: PLC0415
        from indexer.engines.meilisearch_instances import MeilisearchInstances  # noqa: PLC0415

        urls = settings.meili_instances()
        if not urls:
            raise ValueError(
                "MOC_MEILI_URL (or MOC_MEILI_URLS) is required when MOC_SEARCH_ENGINE=meilisearch"
            )
        engines = [
            MeilisearchEngine(u, settings.meili_key, settings.meili_index, boards=board_codes())
            for u in urls
        ]
        return engines[0] if len(engines) == 1 else MeilisearchInstances(engines)
    return TantivyEngine(settings.data_dir / "index", boards=board_codes())


def search_targets(engine: SearchEngine) -> list[tuple[str, SearchEngine]] | None:
    """The indexes a worker feeds one by one (several Meilisearch instances), or None for one."""
    from indexer.engines.meilisearch_instances import MeilisearchInstances  # noqa: PLC0415

    if isinstance(engine, MeilisearchInstances):
        return [(e.target, e) for e in engine.engines]
    return None


def sync_lock_path(settings: Settings) -> Path:
    return settings.data_dir / "sync.lock"


def make_syncer(settings: Settings, db: Engine, engine: SearchEngine) -> Syncer | FanOutSyncer:
    targets = search_targets(engine)
    if targets is None:
        return Syncer(db=db, engine=engine, lock_path=sync_lock_path(settings))
    fed = [Target(name, e) for name, e in targets]
    return FanOutSyncer(db=db, targets=fed, lock_path=sync_lock_path(settings))


def rebuild(
    settings: Settings, db: Engine, engine: SearchEngine, on_progress: Callable[[int], None]
) -> int:
    """Rebuild the index, or every index when the worker feeds several."""
    targets = search_targets(engine)
    if targets is None:
        return rebuild_index(db, engine, sync_lock_path(settings), on_progress)
    return rebuild_targets(db, targets, sync_lock_path(settings), on_progress)


NAME_TTL_S = 300.0


def make_search_service(
    db: Engine, engine: SearchEngine, observe: Observer | None = None
) -> SearchService:
    """A SearchService whose provider facet labels come from the catalog.

    Names are cached for a few minutes: every search labels up to 100 providers, and a
    renamed provider showing its old name briefly in a facet list is harmless.
    """
    cache: dict[str, tuple[float, str]] = {}

    def provider_names(ids: Iterable[str]) -> dict[str, str]:
        now = time.monotonic()
        wanted = list(ids)
        missing = [i for i in wanted if i not in cache or cache[i][0] < now]
        if missing:
            with session_scope(db) as session:
                found = repo.provider_names(session, missing)
            cache.update({i: (now + NAME_TTL_S, name) for i, name in found.items()})
        return {i: cache[i][1] for i in wanted if i in cache}

    return SearchService(engine, provider_names=provider_names, observe=observe)
