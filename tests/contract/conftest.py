"""Fixtures of the engine contract suite: the fixture catalog indexed in each engine."""

from __future__ import annotations

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
from indexer.engines.meilisearch import MeilisearchEngine
from indexer.engines.tantivy import TantivyEngine
from indexer.query import SearchResult, parse_search
from indexer.rebuild import rebuild_index
from indexer.service import SearchService
from tests.contract.catalog_fixture import FIXTURE, HIDDEN, PROVIDERS, TODAY, key_of
from tests.meili_server import MeiliServer, unique_index


def _meilisearch_engines(meili: MeiliServer) -> tuple[MeilisearchEngine, MeilisearchEngine]:
    """The fixture's index on the live server: (written with the documented sync key, searched
    with the documented search key), as the sync worker and the API processes use them."""
    index = unique_index("contract")
    writer = MeilisearchEngine(meili.url, meili.sync_key(index), index)
    return writer, MeilisearchEngine(meili.url, meili.search_key(index), index)


def service_over(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    records: list[tuple[str, dict[str, Any]]],
    providers: dict[str, str],
) -> Iterator[SearchService]:
    """A SearchService over ``records`` written through the real path, on the engine the
    fixture is parametrised with (Meilisearch: the session's live server, documented keys)."""
    tmp = tmp_path_factory.mktemp(f"catalog-{request.param}")
    db = make_engine(f"sqlite:///{tmp / 'catalog.db'}")
    migrate.upgrade(db)
    with session_scope(db) as session:
        for provider_id, name in providers.items():
            add_provider(session, provider_id=provider_id, name=name)
        for provider_id, record in records:
            upsert_activity(session, provider_id=provider_id, data=parse_activity(record))
    engine: SearchEngine
    reader: SearchEngine
    if request.param == "tantivy":
        engine = reader = TantivyEngine(tmp / "index")
    else:
        engine, reader = _meilisearch_engines(request.getfixturevalue("meili"))
    rebuild_index(db, engine, Path(tmp / "sync.lock"))
    yield SearchService(reader, provider_names=lambda ids: {i: providers[i] for i in ids},
                        today=lambda: TODAY)  # fmt: skip
    if isinstance(engine, MeilisearchEngine):  # leave no test index behind
        engine.drop()
    engine.close()
    db.dispose()


@pytest.fixture(scope="session", params=["tantivy", "meilisearch"])
def contract_service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchService]:
    """A SearchService over the fixture catalog, once per engine."""
    yield from service_over(request, tmp_path_factory, FIXTURE, PROVIDERS)


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
