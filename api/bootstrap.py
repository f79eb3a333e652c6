"""Wiring from settings: which engine, where its files live. Used by app.py and cli.py only."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine

from api.settings import Settings
from catalog import repository as repo
from catalog.db import session_scope
from indexer.engines.base import SearchEngine
from indexer.engines.tantivy import TantivyEngine
from indexer.service import SearchService
from indexer.sync import Syncer


def make_search_engine(settings: Settings) -> SearchEngine:
    """The engine the settings name; nothing is contacted until it is used."""
    if settings.search_engine == "meilisearch":
        from indexer.engines.meilisearch import MeilisearchEngine  # noqa: PLC0415

        if not settings.meili_url:
            raise ValueError("MOC_MEILI_URL is required when MOC_SEARCH_ENGINE=meilisearch")
        return MeilisearchEngine(settings.meili_url, settings.meili_key, settings.meili_index)
    return TantivyEngine(settings.data_dir / "index")


def sync_lock_path(settings: Settings) -> Path:
    return settings.data_dir / "sync.lock"


def make_syncer(settings: Settings, db: Engine, engine: SearchEngine) -> Syncer:
    return Syncer(db=db, engine=engine, lock_path=sync_lock_path(settings))


def make_search_service(db: Engine, engine: SearchEngine) -> SearchService:
    """A SearchService whose provider facet labels come from the catalog."""

    def provider_names(ids: Iterable[str]) -> dict[str, str]:
        with session_scope(db) as session:
            return repo.provider_names(session, ids)

    return SearchService(engine, provider_names=provider_names)
