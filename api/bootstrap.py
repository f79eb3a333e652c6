"""Wiring from settings: which engine, where its files live. Used by app.py and cli.py only."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine

from api.settings import Settings
from catalog import repository as repo
from catalog.db import session_scope
from indexer.documents import board_codes
from indexer.engines.base import SearchEngine
from indexer.engines.tantivy import TantivyEngine
from indexer.service import Observer, SearchService
from indexer.sync import Syncer


def make_search_engine(settings: Settings) -> SearchEngine:
    """The engine the settings name; nothing is contacted until it is used."""
    if settings.search_engine == "meilisearch":
        from indexer.engines.meilisearch import MeilisearchEngine  # noqa: PLC0415

        if not settings.meili_url:
            raise ValueError("MOC_MEILI_URL is required when MOC_SEARCH_ENGINE=meilisearch")
        return MeilisearchEngine(
            settings.meili_url, settings.meili_key, settings.meili_index, boards=board_codes()
        )
    return TantivyEngine(settings.data_dir / "index", boards=board_codes())


def sync_lock_path(settings: Settings) -> Path:
    return settings.data_dir / "sync.lock"


def make_syncer(settings: Settings, db: Engine, engine: SearchEngine) -> Syncer:
    return Syncer(db=db, engine=engine, lock_path=sync_lock_path(settings))


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
