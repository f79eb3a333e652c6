"""Relevance as physicians judge it: each query must bring its activity first (or in the top
3 where two activities are equally fitting), on every engine. The queries are typed the way
physicians type them (tests/contract/judged_catalog.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.service import public_id
from indexer.query import parse_search
from indexer.service import SearchService
from tests.contract.conftest import service_over
from tests.contract.judged_catalog import JUDGED, PROVIDERS, RECORDS


@pytest.fixture(scope="session", params=["tantivy", "meilisearch"])
def judged(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchService]:
    yield from service_over(request, tmp_path_factory, RECORDS, PROVIDERS)


def test_the_judged_set_is_large_and_points_at_real_activities() -> None:
    keys = {record["provider_activity_id"] for _, record in RECORDS}
    assert len(JUDGED) >= 40
    assert {expected for _, expected, _ in JUDGED} <= keys


@pytest.mark.parametrize(("q", "expected", "within"), JUDGED, ids=[q for q, _, _ in JUDGED])
def test_judged_query(judged: SearchService, q: str, expected: str, within: int) -> None:
    hits = judged.search(parse_search({"q": [q], "facets": []})).hits
    keys = [KEYS[h["id"]] for h in hits]
    assert expected in keys[:within], f"{q!r}: {keys[:5]}"


KEYS = {public_id(p, r["provider_activity_id"]): r["provider_activity_id"] for p, r in RECORDS}
