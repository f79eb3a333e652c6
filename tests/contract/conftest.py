"""Fixtures of the engine contract suite: the fixture catalog indexed in each engine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog import migrate
from catalog.db import make_engine, session_scope
from catalog.providers import add_provider
from catalog.rules import parse_activity
from catalog.service import upsert_activity
from indexer.engines.base import SearchEngine
from indexer.engines.tantivy import TantivyEngine
from indexer.query import SearchResult, parse_search
from indexer.rebuild import rebuild_index
from indexer.service import SearchService
from tests.contract.catalog_fixture import FIXTURE, HIDDEN, PROVIDERS, TODAY, key_of


def _meilisearch_engine() -> SearchEngine:
    url = os.environ.get("MOC_MEILI_URL")
    if not url:
        pytest.skip("MOC_MEILI_URL is not set: no Meilisearch server can run on this machine")
    from indexer.engines.meilisearch import MeilisearchEngine

    index = f"contract_{os.getpid()}"
    return MeilisearchEngine(url, os.environ.get("MOC_MEILI_KEY"), index)


@pytest.fixture(scope="session", params=["tantivy", "meilisearch"])
def contract_service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchService]:
    """A SearchService over the fixture catalog, once per engine."""
    tmp = tmp_path_factory.mktemp(f"contract-{request.param}")
    db = make_engine(f"sqlite:///{tmp / 'catalog.db'}")
    migrate.upgrade(db)
    with session_scope(db) as session:
        for provider_id, name in PROVIDERS.items():
            add_provider(session, provider_id=provider_id, name=name)
        for provider_id, record in FIXTURE:
            upsert_activity(session, provider_id=provider_id, data=parse_activity(record))
    engine: SearchEngine
    engine = TantivyEngine(tmp / "index") if request.param == "tantivy" else _meilisearch_engine()
    rebuild_index(db, engine, Path(tmp / "sync.lock"))
    yield SearchService(engine, provider_names=lambda ids: {i: PROVIDERS[i] for i in ids},
                        today=lambda: TODAY)  # fmt: skip
    if hasattr(engine, "drop"):  # Meilisearch: leave no test index behind
        engine.drop()
    engine.close()
    db.dispose()


class Search:
    """Runs a search given as keyword parameters (lists for repeated ones)."""

    def __init__(self, service: SearchService) -> None:
        self.service = service

    def __call__(self, **params: Any) -> SearchResult:
        as_lists = {k: v if isinstance(v, list) else [str(v)] for k, v in params.items()}
        result = self.service.search(parse_search(as_lists))
        assert not {key_of(h["id"]) for h in result.hits} & HIDDEN
        return result

    def keys(self, **params: Any) -> list[str]:
        return [key_of(h["id"]) for h in self(**params).hits]


@pytest.fixture
def search(contract_service: SearchService) -> Search:
    return Search(contract_service)
