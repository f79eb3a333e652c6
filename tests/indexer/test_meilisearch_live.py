"""The Meilisearch adapter against a live server, with the keys docs/deploy.md documents.

Each case here failed against the live server before its fix (issue 12): settings the server
refused, capped totals, a reindex that a documented key could not finish, unsearchable words,
silently cut-off searches and a count that needed a permission neither key has.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from indexer.engines.meilisearch import KeyRefused, MeilisearchEngine
from indexer.engines.meilisearch_keys import SYNC_KEY, KeySpec
from indexer.engines.meilisearch_settings import (
    SEARCH_CUTOFF_MS,
    SEPARATOR_TOKENS,
    parse_version,
    ranking_rules,
)
from indexer.errors import EngineTimeout
from indexer.query import SearchQuery
from tests.indexer.test_meilisearch_adapter import search_doc
from tests.meili_server import MeiliServer, unique_index

TODAY = date(2030, 1, 1)
BEYOND_OLD_CAP = 10_150  # the old maxTotalHits was 10,100


def docs(count: int, title: str = "Cardiology update") -> list[dict[str, Any]]:
    return [
        search_doc(f"d{i}", title=f"{title} {i}", tie=i, hit={"id": f"d{i}", "title": title})
        for i in range(count)
    ]


@pytest.fixture
def index(meili: MeiliServer) -> Iterator[str]:
    uid = unique_index("live")
    yield uid
    for name in (uid, f"{uid}_new"):
        try:
            meili.admin("DELETE", f"/indexes/{name}")
        except Exception:  # noqa: BLE001, S110 - a missing index is fine
            pass


def sync_engine(meili: MeiliServer, index: str, **kwargs: Any) -> MeilisearchEngine:
    return MeilisearchEngine(meili.url, meili.sync_key(index), index, **kwargs)


def search_engine(meili: MeiliServer, index: str) -> MeilisearchEngine:
    return MeilisearchEngine(meili.url, meili.search_key(index), index)


def test_settings_follow_the_server_version(meili: MeiliServer, index: str) -> None:
    """Before: attributeRank was sent to every server; 1.21 refused the settings (400).

    A key that may read /version (here the master key) gets the rules of that version."""
    engine = MeilisearchEngine(meili.url, meili.master_key, index)
    engine.prepare()
    version = parse_version(meili.version())
    settings = meili.admin("GET", f"/indexes/{index}/settings")
    assert engine.version() == version
    assert settings["rankingRules"] == ranking_rules(version)
    assert sorted(settings["separatorTokens"]) == sorted(SEPARATOR_TOKENS)
    assert settings["searchCutoffMs"] == SEARCH_CUTOFF_MS


def test_the_documented_sync_key_works_without_reading_the_version(
    meili: MeiliServer, index: str
) -> None:
    """Meilisearch 1.50 refuses to create an index-scoped key with the global `version`
    action (1.21 allowed it): the sync key goes without, and the settings take the ranking
    rules every version accepts."""
    engine = sync_engine(meili, index)
    engine.prepare()
    assert engine.version() is None
    settings = meili.admin("GET", f"/indexes/{index}/settings")
    assert settings["rankingRules"] == ["sort", "words", "typo", "proximity", "attribute",
                                        "exactness"]  # fmt: skip
    assert "version" not in SYNC_KEY.actions


@pytest.mark.parametrize(
    ("version", "rules"),
    [
        ((1, 21, 0), ["sort", "words", "typo", "proximity", "attribute", "exactness"]),
        ((1, 35, 9), ["sort", "words", "typo", "proximity", "attribute", "exactness"]),
        (
            (1, 36, 0),
            ["sort", "words", "typo", "proximity", "attributeRank", "exactness", "wordPosition"],
        ),
        (
            (1, 50, 0),
            ["sort", "words", "typo", "proximity", "attributeRank", "exactness", "wordPosition"],
        ),
        (None, ["sort", "words", "typo", "proximity", "attribute", "exactness"]),
    ],
)
def test_ranking_rules_per_version(version: tuple[int, int, int] | None, rules: list[str]) -> None:
    """Both branches; the live test above runs whichever the server under test takes."""
    assert ranking_rules(version) == rules


def test_parse_version() -> None:
    assert parse_version("1.21.0") == (1, 21, 0)
    assert parse_version("v1.36.2-rc.1") == (1, 36, 2)
    with pytest.raises(ValueError, match="not a Meilisearch version"):
        parse_version("latest")


def test_totals_and_count_are_exact_beyond_ten_thousand(meili: MeiliServer, index: str) -> None:
    """Before: total and count stopped at maxTotalHits (10,100); count needed stats.get."""
    writer = sync_engine(meili, index)
    assert writer.rebuild([docs(BEYOND_OLD_CAP)]) == BEYOND_OLD_CAP
    reader = search_engine(meili, index)
    result = reader.search(SearchQuery(facets=("board",)), today=TODAY)
    assert result.total == BEYOND_OLD_CAP
    assert result.facets["board"] == [("ABIM", BEYOND_OLD_CAP)]
    text = reader.search(SearchQuery(q="cardiology", per_page=5, page=3), today=TODAY)
    assert text.total == BEYOND_OLD_CAP
    assert len(text.hits) == 5
    assert writer.count() == reader.count() == BEYOND_OLD_CAP


def test_reindex_with_the_documented_sync_key(meili: MeiliServer, index: str) -> None:
    """Before: waiting for the swap task answered 404 task_not_found (the task belongs to no
    index, so an index-scoped key cannot read it) and the old index stayed behind."""
    writer = sync_engine(meili, index)
    reader = search_engine(meili, index)
    assert writer.rebuild([docs(3, "First build")]) == 3
    assert writer.rebuild([docs(2, "Second build")]) == 2
    result = reader.search(SearchQuery(q="second"), today=TODAY)
    assert result.total == 2
    assert reader.search(SearchQuery(q="first"), today=TODAY).total == 0
    names = {i["uid"] for i in meili.admin("GET", "/indexes?limit=1000")["results"]}
    assert index in names
    assert f"{index}_new" not in names


@pytest.mark.parametrize(
    ("missing", "call"),
    [
        ("settings.update", lambda e: e.prepare()),
        ("indexes.swap", lambda e: e.rebuild([docs(1)])),
        ("search", lambda e: e.count()),
    ],
)
def test_a_key_without_a_needed_action_is_named(
    meili: MeiliServer, index: str, missing: str, call: Any
) -> None:
    """Meilisearch answers only "The provided API key is invalid"; we name the action."""
    actions = [a for a in expand(SYNC_KEY.actions) if a != missing]
    key = meili.create_key(KeySpec("partial", tuple(actions), "*"), index)
    engine = MeilisearchEngine(meili.url, key, index)
    with pytest.raises(KeyRefused, match=f"needs the '{missing}' action"):
        call(engine)


def expand(actions: tuple[str, ...]) -> list[str]:
    """Wildcard actions spelled out, so that one of them can be left out."""
    spelled = {
        "documents.*": ["documents.add", "documents.get", "documents.delete"],
        "indexes.*": [
            "indexes.create", "indexes.get", "indexes.update", "indexes.delete", "indexes.swap",
        ],
        "settings.*": ["settings.get", "settings.update"],
    }  # fmt: skip
    return [b for a in actions for b in spelled.get(a, [a])]


def test_a_cut_off_search_is_reported_not_returned(meili: MeiliServer, index: str) -> None:
    """Before: a search stopped by searchCutoffMs came back as if complete, its hits unranked.

    A cut-off of 0 ms stops every ranking at once, which a real overload does after 1.5 s.
    """
    writer = sync_engine(meili, index, search_cutoff_ms=0)
    writer.rebuild([docs(300)])
    reader = search_engine(meili, index)
    with pytest.raises(EngineTimeout, match="searchCutoffMs"):
        reader.search(SearchQuery(q="cardiology update"), today=TODAY)
    writer.search_cutoff_ms = SEARCH_CUTOFF_MS
    writer.ensure_settings()
    assert reader.search(SearchQuery(q="cardiology update"), today=TODAY).total == 300
