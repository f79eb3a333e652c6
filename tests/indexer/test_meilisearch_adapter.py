"""The Meilisearch adapter: settings, filters, multi-search bodies, result parsing and writes.

The tests that talk to the client intercept its HTTP calls (it uses ``requests``) with
``responses`` to assert the exact JSON sent and to inject failures a live server will not
produce on demand (refused connections, read timeouts, failed tasks). What the server does
with those bodies runs live: test_meilisearch_live.py and the contract suite (tests/contract).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
from hypothesis import given
from hypothesis import strategies as st

from catalog.schemas import ActivityOut, ProviderRef
from indexer.documents import to_document
from indexer.engines.base import EngineResult
from indexer.engines.meilisearch import MeilisearchEngine, meili_document
from indexer.engines.meilisearch_filters import any_value, build_filter, quote, sort_rules
from indexer.engines.meilisearch_settings import synonym_settings
from indexer.errors import EngineTimeout, EngineUnavailable, QueryRejected
from indexer.query import SearchQuery
from indexer.service import SearchService
from indexer.vocabulary import FACET_FIELDS, FACET_GROUPS
from tests.builders import make_record

BASE = "http://meili.test"
TODAY = date(2030, 1, 1)
TODAY_DAY = 21915  # days from 1970-01-01 to TODAY
BOARDS = ["ABA", "ABIM", "ABO", "ABOHNS", "ABOS", "ABP", "ABPATH", "ABPMR", "ABS", "ABTS"]
NOT_ENDED = f"end_day >= {TODAY_DAY}"

SETTINGS = {
    "searchableAttributes": [
        "title",
        "practice_text",
        "specialty_text",
        "provider_name",
        "moc_text",
        "description",
    ],
    "displayedAttributes": ["hit", "_geo"],
    "filterableAttributes": [
        {
            "attributePatterns": [
                "boards",
                "credit_types",
                "practice_areas",
                "content_outlines",
                "specialties",
                "topics",
                "activity_type",
                "format",
                "fee",
                "registration",
                "state",
                "country",
                "provider_id",
                "flags",
            ],
            "features": {"facetSearch": False, "filter": {"equality": True, "comparison": False}},
        },
        {
            "attributePatterns": ["start_day", "end_day", "max_points", "cme_credits"]
            + [f"points.{b}" for b in BOARDS],
            "features": {"facetSearch": False, "filter": {"equality": True, "comparison": True}},
        },
        "_geo",
    ],
    "sortableAttributes": ["start_day", "end_day", "max_points", "title_sort", "tie", "_geo"],
    "rankingRules": [
        "sort",
        "words",
        "typo",
        "proximity",
        "attributeRank",
        "exactness",
        "wordPosition",
    ],
    "separatorTokens": ["<", ">", "=", "|", "~", "^", "$"],
    "typoTolerance": {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
        "disableOnNumbers": True,
    },
    "faceting": {"maxValuesPerFacet": 10_000, "sortFacetValuesBy": {"*": "count"}},
    "pagination": {"maxTotalHits": 2**31 - 1},
    "searchCutoffMs": 1500,
    # The shipped reference synonyms, one-way (their content: tests/catalog/test_synonyms.py).
    "synonyms": synonym_settings(),
}
VERSION = "1.50.0"  # what the stand-in server reports: the attributeRank branch


# -- a stand-in for the server's HTTP side ----------------------------------------------------

Call = tuple[str, str, Any]


@dataclass
class FakeMeili:
    """Answers the client like a server whose tasks finish at once; records every request."""

    calls: list[Call] = field(default_factory=list)
    failed: dict[int, dict[str, str]] = field(default_factory=dict)  # task uid -> error
    processing: dict[int, int] = field(default_factory=dict)  # task uid -> polls still busy
    search_results: list[dict[str, Any]] = field(default_factory=list)
    raises: Exception | None = None
    answers: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    headers: list[dict[str, str]] = field(default_factory=list)
    next_task: int = 0

    def __call__(self, request: requests.PreparedRequest) -> Any:
        url = urlsplit(str(request.url))
        path = url.path + (f"?{url.query}" if url.query else "")
        raw = request.body
        body = json.loads(raw) if isinstance(raw, str | bytes) and raw else None
        self.calls.append((str(request.method), path, body))
        self.headers.append({k: str(v) for k, v in request.headers.items()})
        if self.raises is not None:
            return self.raises
        status, body = self._answer(str(request.method), path)
        return status, {}, json.dumps(body)

    def _answer(self, method: str, path: str) -> tuple[int, Any]:
        if (method, path) in self.answers:
            return self.answers[(method, path)]
        if match := re.fullmatch(r"/tasks/(\d+)", path):
            return 200, self._task(int(match.group(1)))
        if path == "/version":
            return 200, {"pkgVersion": VERSION, "commitSha": "x", "commitDate": "x"}
        if method == "GET" and (match := re.fullmatch(r"/indexes/(\w+)", path)):
            # Every index reports one creation time: a swap looks done at once.
            return 200, {"uid": match.group(1), "createdAt": "2030-01-01T00:00:00Z"}
        if path == "/multi-search":
            return 200, {"results": self.search_results}
        uid, self.next_task = self.next_task, self.next_task + 1
        return 202, {
            "taskUid": uid,
            "indexUid": None,
            "status": "enqueued",
            "type": "t",
            "enqueuedAt": "2030-01-01T00:00:00.123456789Z",
        }

    def _task(self, uid: int) -> dict[str, Any]:
        status = "succeeded"
        if self.processing.get(uid, 0) > 0:
            self.processing[uid] -= 1
            status = "processing"
        elif uid in self.failed:
            status = "failed"
        return {
            "uid": uid,
            "indexUid": None,
            "status": status,
            "type": "t",
            "error": self.failed.get(uid) if status == "failed" else None,
            "enqueuedAt": "2030-01-01T00:00:00.123456789Z",
        }


@pytest.fixture
def fake() -> Iterator[FakeMeili]:
    server = FakeMeili()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            rsps.add_callback(method, re.compile(re.escape(BASE) + r"/.*"), callback=server)
        yield server


@pytest.fixture
def engine(fake: FakeMeili) -> MeilisearchEngine:
    return MeilisearchEngine(BASE, "search-key", timeout_s=2.5)


def task(uid: int) -> Call:
    return ("GET", f"/tasks/{uid}", None)


VERSION_CALL: Call = ("GET", "/version", None)


def search_doc(doc_id: str = "a1b2c3", **overrides: Any) -> dict[str, Any]:
    """A search document shaped like indexer.documents.to_document's output."""
    doc: dict[str, Any] = {
        "id": doc_id,
        "title": "Cardiology <Update>",
        "title_sort": "cardiology <update> 1035169589",
        "description": "Heart things",
        "provider_id": "acme",
        "provider_name": "ACME CME",
        "activity_type": "course",
        "format": "in_person",
        "fee": "",
        "registration": "open",
        "state": "PA",
        "country": "US",
        "boards": ["ABIM"],
        "credit_types": ["ABIM:MK"],
        "practice_areas": ["ABIM:Cardiovascular Disease"],
        "specialties": ["internal_medicine"],
        "content_outlines": [],
        "topics": [],
        "flags": [],
        "practice_text": "Cardiovascular Disease",
        "specialty_text": "Internal Medicine",
        "moc_text": "ABIM ; American Board of Internal Medicine ; Medical Knowledge",
        "start_day": 21974,
        "end_day": 21976,
        "points": {"ABIM": 6.5},
        "max_points": 6.5,
        "cme_credits": 6.5,
        "lat": 40.0,
        "lng": -75.0,
        "tie": 1035169589,
        "hit": {"id": doc_id, "title": "Cardiology <Update>"},
    }
    return doc | overrides


def meili_doc(doc_id: str = "a1b2c3") -> dict[str, Any]:
    """What search_doc(doc_id) must become on the wire: fee "" dropped, lat/lng as _geo."""
    return {
        "id": doc_id,
        "hit": {"id": doc_id, "title": "Cardiology <Update>"},
        "title": "Cardiology <Update>",
        "practice_text": "Cardiovascular Disease",
        "specialty_text": "Internal Medicine",
        "provider_name": "ACME CME",
        "moc_text": "ABIM ; American Board of Internal Medicine ; Medical Knowledge",
        "description": "Heart things",
        "title_sort": "cardiology <update> 1035169589",
        "start_day": 21974,
        "end_day": 21976,
        "points": {"ABIM": 6.5},
        "max_points": 6.5,
        "cme_credits": 6.5,
        "tie": 1035169589,
        "boards": ["ABIM"],
        "credit_types": ["ABIM:MK"],
        "practice_areas": ["ABIM:Cardiovascular Disease"],
        "specialties": ["internal_medicine"],
        "content_outlines": [],
        "topics": [],
        "flags": [],
        "activity_type": "course",
        "format": "in_person",
        "registration": "open",
        "state": "PA",
        "country": "US",
        "provider_id": "acme",
        "_geo": {"lat": 40.0, "lng": -75.0},
    }


def main_result(hits: list[dict[str, Any]], total: int, **extra: Any) -> dict[str, Any]:
    return {"indexUid": "activities", "hits": hits, "totalHits": total, "page": 1} | extra


def sent_queries(fake: FakeMeili) -> list[dict[str, Any]]:
    [(method, path, body)] = fake.calls
    assert (method, path) == ("POST", "/multi-search")
    assert body["federation"] is None  # the client always sends it; null means not federated
    queries: list[dict[str, Any]] = body["queries"]
    return queries


# -- the escaping rule of search-engines.md 1.2, re-implemented as the server applies it -------

SIMPLE_ESCAPES = {
    "\\": "\\",
    '"': '"',
    "'": "'",
    "/": "/",
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def unquote(text: str) -> str:
    """Read a double-quoted filter value back the way the filter parser does."""
    assert text.startswith('"'), text
    # 1. The value ends at the first unescaped quote; a backslash consumes the next character.
    i, seen_quote = 1, False
    while text[i] != '"':
        if text[i] == "\\":
            seen_quote |= text[i + 1] == '"'
            i += 1
        i += 1
    assert i == len(text) - 1, f"the value ends early, at {i}: {text!r}"
    value = text[1:i]
    # 2. Escaped quotes become quotes, 3. then the whole value is unescaped once more.
    if seen_quote:
        value = value.replace('\\"', '"')
    out, j = [], 0
    while j < len(value):
        if value[j] == "\\":
            nxt = value[j + 1] if j + 1 < len(value) else ""
            # \u, \x and octal escapes exist too; the encoder must never produce them.
            assert nxt in SIMPLE_ESCAPES, f"400 invalid_search_filter or a different char: {text!r}"
            out.append(SIMPLE_ESCAPES[nxt])
            j += 2
        else:
            out.append(value[j])
            j += 1
    return "".join(out)


HOSTILE = [
    ('say "hi"', '"say \\"hi\\""'),
    ("C:\\new", '"C:\\\\new"'),
    ("ends with \\", '"ends with \\\\"'),
    ('\\"', '"\\\\\\""'),
    ("😀 emoji", '"😀 emoji"'),
    ("two\nlines", '"two\nlines"'),
    ("AND OR NOT TO", '"AND OR NOT TO"'),
    ('x" OR registration = "limited', '"x\\" OR registration = \\"limited"'),
]


class TestQuote:
    @pytest.mark.parametrize(("value", "expected"), HOSTILE)
    def test_quote_exact_and_round_trips(self, value: str, expected: str) -> None:
        assert quote(value) == expected
        assert unquote(expected) == value

    def test_quoting_only_quotes_would_not_round_trip(self) -> None:
        """The checker is strict enough to catch the classic mistake (search-engines.md 1.2)."""
        naive = '"' + "C:\\new".replace('"', '\\"') + '"'
        assert unquote(naive) == "C:\new"

    @given(st.text())
    def test_any_text_round_trips(self, value: str) -> None:
        assert unquote(quote(value)) == value

    @given(st.text())
    def test_any_value_clause_round_trips(self, value: str) -> None:
        [clause] = any_value("provider_id", [value])
        assert clause.startswith("provider_id = ")
        assert unquote(clause.removeprefix("provider_id = ")) == value


# -- filters ----------------------------------------------------------------------------------


class TestBuildFilter:
    def test_only_not_ended_by_default(self) -> None:
        assert build_filter(SearchQuery.of(), TODAY, BOARDS) == [NOT_ENDED]

    def test_hostile_values_stay_quoted_inside_their_group(self) -> None:
        query = SearchQuery.of(
            provider=('x" OR registration = "limited',),
            state=("AND", "OR"),
            country=("NOT TO",),
            specialty=("C:\\new", "two\nlines"),
            practice_area=("ABIM:😀",),
        )
        assert build_filter(query, TODAY, BOARDS) == [
            NOT_ENDED,
            ['practice_areas = "ABIM:😀"'],
            ['specialties = "C:\\\\new"', 'specialties = "two\nlines"'],
            ['state = "AND"', 'state = "OR"'],
            ['country = "NOT TO"'],
            ['provider_id = "x\\" OR registration = \\"limited"'],
        ]

    def test_groups_dates_registration_and_fee(self) -> None:
        query = SearchQuery.of(
            board=("ABIM", "ABP"),
            format=("online",),
            fee=("free", "variable"),
            registration="limited",
            date_from=date(2030, 3, 1),
            date_to=date(2030, 6, 30),
        )
        assert build_filter(query, TODAY, BOARDS) == [
            NOT_ENDED,
            ['boards = "ABIM"', 'boards = "ABP"'],
            ['format = "online"'],
            ['fee = "free"', 'fee = "variable"'],
            ['registration = "limited"'],
            "end_day >= 21974",
            "start_day <= 22095",
        ]

    def test_without_leaves_out_one_group(self) -> None:
        query = SearchQuery.of(board=("ABIM",), format=("online",))
        assert build_filter(query, TODAY, BOARDS, without="board") == [
            NOT_ENDED,
            ['format = "online"'],
        ]

    def test_min_points_without_boards_uses_max_points(self) -> None:
        query = SearchQuery.of(min_points=5.0)
        assert build_filter(query, TODAY, BOARDS) == [NOT_ENDED, ["max_points >= 5.0"]]

    def test_min_points_with_boards_is_any_selected_board(self) -> None:
        query = SearchQuery.of(board=("ABIM", "ABP"), min_points=2.25)
        assert build_filter(query, TODAY, BOARDS) == [
            NOT_ENDED,
            ['boards = "ABIM"', 'boards = "ABP"'],
            ["points.ABIM >= 2.25", "points.ABP >= 2.25"],
        ]

    def test_min_points_board_outside_allow_list_is_rejected(self) -> None:
        query = SearchQuery.of(board=("ABIM >= 0 OR x",), min_points=1.0)
        with pytest.raises(QueryRejected, match="unknown boards"):
            build_filter(query, TODAY, BOARDS)

    def test_non_finite_number_is_rejected(self) -> None:
        with pytest.raises(QueryRejected, match="finite"):
            build_filter(SearchQuery.of(min_points=float("nan")), TODAY, BOARDS)

    def test_geo_radius_in_metres(self) -> None:
        query = SearchQuery.of(point=(40.7128, -74.006), radius_mi=25.0)
        assert build_filter(query, TODAY, BOARDS) == [
            NOT_ENDED,
            "_geoRadius(40.7128, -74.006, 40233.6)",
        ]


class TestSortRules:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (SearchQuery.of(q="heart", sort="relevance"), None),
            (SearchQuery.of(q=None, sort="relevance"), ["start_day:asc", "tie:asc"]),
            (SearchQuery.of(q="!!!", sort="relevance"), ["start_day:asc", "tie:asc"]),
            (SearchQuery.of(sort="date"), ["start_day:asc", "tie:asc"]),
            (SearchQuery.of(q="heart", sort="-date"), ["start_day:desc", "tie:desc"]),
            (SearchQuery.of(sort="points"), ["max_points:desc", "start_day:asc", "tie:asc"]),
            (SearchQuery.of(sort="title"), ["title_sort:asc"]),
            (
                SearchQuery.of(sort="distance", point=(40.7128, -74.006)),
                ["_geoPoint(40.7128, -74.006):asc", "tie:asc"],
            ),
        ],
        ids=[
            "relevance",
            "relevance-no-q",
            "relevance-no-words",
            "date",
            "-date",
            "points",
            "title",
            "distance",
        ],
    )
    def test_sort(self, query: SearchQuery, expected: list[str] | None) -> None:
        assert sort_rules(query) == expected


# -- settings ---------------------------------------------------------------------------------


class TestEnsureSettings:
    def test_sends_exact_settings_and_waits(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: PATCH settings, then the task."""
        engine.ensure_settings()
        assert fake.calls == [
            VERSION_CALL,
            ("PATCH", "/indexes/activities/settings", SETTINGS),
            task(0),
        ]

    def test_polls_until_the_task_is_done(self, engine: MeilisearchEngine, fake: FakeMeili) -> None:
        """Intercepts HTTP: a busy task is polled again."""
        fake.processing[0] = 1
        engine.ensure_settings()
        assert fake.calls[2:] == [task(0), task(0)]

    def test_failed_task_raises_with_its_error(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: the task reports failure."""
        fake.failed[0] = {"code": "invalid_settings_ranking_rules", "message": "bad rule"}
        with pytest.raises(EngineUnavailable, match="invalid_settings_ranking_rules: bad rule"):
            engine.ensure_settings()


# -- searching --------------------------------------------------------------------------------


def selected_query(**overrides: Any) -> SearchQuery:
    values: dict[str, Any] = {
        "q": "cardiology",
        "board": ("ABIM", "ABP"),
        "format": ("online",),
        "sort": "relevance",
    }
    return SearchQuery.of(**(values | overrides))


class TestSearchBody:
    def test_main_and_one_disjunctive_query_per_selected_group(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: the exact multi-search body."""
        fake.search_results = [main_result([], 0), main_result([], 0), main_result([], 0)]
        engine.search(selected_query(), today=TODAY)
        boards = ['boards = "ABIM"', 'boards = "ABP"']
        online = ['format = "online"']
        text = {"indexUid": "activities", "q": "cardiology", "matchingStrategy": "all"}
        assert sent_queries(fake) == [
            text
            | {
                "filter": [NOT_ENDED, boards, online],
                "page": 1,
                "hitsPerPage": 20,
                "showRankingScoreDetails": True,
                "facets": [
                    "credit_types",
                    "practice_areas",
                    "content_outlines",
                    "specialties",
                    "topics",
                    "activity_type",
                    "fee",
                    "registration",
                    "state",
                    "country",
                    "provider_id",
                ],
            },
            text | {"filter": [NOT_ENDED, online], "facets": ["boards"], "limit": 0},
            text | {"filter": [NOT_ENDED, boards], "facets": ["format"], "limit": 0},
        ]

    def test_only_requested_groups_are_counted(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: facets=() means no facets."""
        fake.search_results = [main_result([], 0)]
        engine.search(SearchQuery.of(board=("ABIM",), facets=()), today=TODAY)
        assert sent_queries(fake) == [
            {
                "indexUid": "activities",
                "filter": [NOT_ENDED, ['boards = "ABIM"']],
                "page": 1,
                "hitsPerPage": 20,
                "showRankingScoreDetails": True,
                "sort": ["start_day:asc", "tie:asc"],
            }
        ]

    def test_hostile_text_and_values_in_the_request(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: q and filters as sent."""
        fake.search_results = [main_result([], 0)]
        query = SearchQuery.of(
            q='"cardio update" -free AND OR NOT TO 😀',
            provider=('x" OR registration = "limited',),
            specialty=("C:\\new\\", "two\nlines"),
            facets=(),
        )
        engine.search(query, today=TODAY)
        [sent] = sent_queries(fake)
        assert sent["q"] == "cardio update free and or not to"
        assert sent["filter"] == [
            NOT_ENDED,
            ['specialties = "C:\\\\new\\\\"', 'specialties = "two\nlines"'],
            ['provider_id = "x\\" OR registration = \\"limited"'],
        ]
        assert (
            unquote(sent["filter"][2][0].removeprefix("provider_id = "))
            == query.selected("provider")[0]
        )

    def test_emoji_values_arrive_whole(self, engine: MeilisearchEngine, fake: FakeMeili) -> None:
        """Intercepts HTTP: JSON escaping is the client's."""
        fake.search_results = [main_result([], 0)]
        engine.search(SearchQuery.of(practice_area=("ABIM:😀",), facets=()), today=TODAY)
        [sent] = sent_queries(fake)
        assert sent["filter"][1] == ['practice_areas = "ABIM:😀"']

    @pytest.mark.parametrize(
        ("query", "sort"),
        [
            (SearchQuery.of(sort="points"), ["max_points:desc", "start_day:asc", "tie:asc"]),
            (SearchQuery.of(q="heart", sort="date"), ["start_day:asc", "tie:asc"]),
            (SearchQuery.of(q="heart", sort="relevance"), None),
        ],
        ids=["points", "date-with-q", "relevance"],
    )
    def test_sort_sent(
        self,
        engine: MeilisearchEngine,
        fake: FakeMeili,
        query: SearchQuery,
        sort: list[str] | None,
    ) -> None:
        """Intercepts HTTP: the sort parameter sent."""
        fake.search_results = [main_result([], 0)]
        engine.search(query, today=TODAY)
        assert sent_queries(fake)[0].get("sort") == sort

    def test_pagination_and_geo(self, engine: MeilisearchEngine, fake: FakeMeili) -> None:
        """Intercepts HTTP: page/hitsPerPage and radius."""
        fake.search_results = [main_result([], 0)]
        query = SearchQuery.of(
            point=(40.0, -75.0), radius_mi=50.0, sort="distance", page=3, per_page=50, facets=()
        )
        engine.search(query, today=TODAY)
        assert sent_queries(fake) == [
            {
                "indexUid": "activities",
                "filter": [NOT_ENDED, "_geoRadius(40.0, -75.0, 80467.2)"],
                "page": 3,
                "hitsPerPage": 50,
                "showRankingScoreDetails": True,
                "sort": ["_geoPoint(40.0, -75.0):asc", "tie:asc"],
            }
        ]

    def test_sends_the_key(self, engine: MeilisearchEngine, fake: FakeMeili) -> None:
        """Intercepts HTTP: the bearer key is attached."""
        fake.search_results = [main_result([], 0)]
        engine.search(SearchQuery.of(facets=()), today=TODAY)
        assert fake.headers[0]["Authorization"] == "Bearer search-key"


def canned_answer(fake: FakeMeili) -> None:
    fake.search_results = [
        main_result(
            [{"hit": {"id": "a1", "title": "Cardiology <Update>"}}],
            42,
            facetDistribution={
                "credit_types": {"ABIM:PS": 5, "ABIM:MK": 5, "ABP:X": 7},
                "state": {},
            },
        ),
        main_result([], 9, facetDistribution={"boards": {"ABP": 2, "ABIM": 7, "ABS": 2}}),
        main_result([], 12, facetDistribution={"format": {"online": 3, "in_person": 9}}),
    ]


class TestSearchResult:
    def test_the_service_highlights_the_words_of_the_hits(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: highlighting is the service's (above both engines), applied to what
        Meilisearch answered."""
        canned_answer(fake)
        query = selected_query(facets=("board", "credit_type", "format", "state", "fee"))
        hits = SearchService(engine, today=lambda: TODAY).search(query).hits
        assert hits == [
            {
                "id": "a1",
                "title": "Cardiology <Update>",
                "highlight": {"title": "<mark>Cardiology</mark> &lt;Update&gt;"},
            }
        ]

    def test_parses_hits_total_and_disjunctive_facets(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: a canned multi-search answer."""
        canned_answer(fake)
        query = selected_query(facets=("board", "credit_type", "format", "state", "fee"))
        result = engine.search(query, today=TODAY)
        assert result == EngineResult(
            hits=[{"id": "a1", "title": "Cardiology <Update>"}],
            total=42,
            facets={
                "credit_type": [("ABP:X", 7), ("ABIM:MK", 5), ("ABIM:PS", 5)],
                "state": [],
                "fee": [],
                "board": [("ABIM", 7), ("ABP", 2), ("ABS", 2)],
                "format": [("in_person", 9), ("online", 3)],
            },
        )

    def test_distance_from_geo_distance_when_sorted_by_distance(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: _geoDistance metres -> miles."""
        fake.search_results = [
            main_result(
                [{"hit": {"id": "a1"}, "_geo": {"lat": 40.1, "lng": -75.0}, "_geoDistance": 5000}],
                1,
            )
        ]
        query = SearchQuery.of(point=(40.0, -75.0), sort="distance", facets=())
        result = engine.search(query, today=TODAY)
        assert result.hits == [{"id": "a1", "distance_mi": 3.1}]

    def test_distance_computed_from_geo_for_other_sorts(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: no _geoDistance without sort."""
        fake.search_results = [
            main_result([{"hit": {"id": "a1"}, "_geo": {"lat": 40.1, "lng": -75.0}}], 1)
        ]
        query = SearchQuery.of(point=(40.0, -75.0), sort="date", facets=())
        result = engine.search(query, today=TODAY)
        assert result.hits == [{"id": "a1", "distance_mi": 6.9}]

    @pytest.mark.parametrize(
        ("status", "code", "error"),
        [
            (400, "invalid_search_filter", QueryRejected),
            (400, "invalid_multi_search_query_pagination", QueryRejected),
            (503, "too_many_search_requests", EngineUnavailable),
            (404, "index_not_found", EngineUnavailable),
        ],
    )
    def test_api_errors_are_mapped(
        self,
        engine: MeilisearchEngine,
        fake: FakeMeili,
        status: int,
        code: str,
        error: type[Exception],
    ) -> None:
        """Intercepts HTTP: an error answer is mapped."""
        body = {"message": "nope", "code": code, "type": "invalid_request", "link": "l"}
        fake.answers[("POST", "/multi-search")] = (status, body)
        with pytest.raises(error, match=code) as caught:
            engine.search(SearchQuery.of(), today=TODAY)
        assert type(caught.value) is error
        assert caught.value.__cause__ is not None

    @pytest.mark.parametrize(
        ("exc", "error"),
        [
            (requests.exceptions.ConnectionError("refused"), EngineUnavailable),
            (requests.exceptions.ReadTimeout("slow"), EngineTimeout),
        ],
    )
    def test_transport_errors_are_mapped(
        self,
        engine: MeilisearchEngine,
        fake: FakeMeili,
        exc: Exception,
        error: type[Exception],
    ) -> None:
        """Intercepts HTTP: requests raises instead."""
        fake.raises = exc
        with pytest.raises(error) as caught:
            engine.search(SearchQuery.of(), today=TODAY)
        assert type(caught.value) is error


# -- writing ----------------------------------------------------------------------------------


def make_activity(**overrides: Any) -> ActivityOut:
    record = make_record(**overrides)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    provider = ProviderRef(id="acme", name="ACME CME")
    return ActivityOut(**record, id="a1b2c3", provider=provider, created_at=now, updated_at=now)


class TestMeiliDocument:
    def test_flattens_and_adds_geo(self) -> None:
        assert meili_document(search_doc()) == meili_doc()

    def test_real_document_without_coordinates_has_no_geo(self) -> None:
        sent = meili_document(to_document(make_activity(fee=None)))
        assert "_geo" not in sent
        assert "fee" not in sent
        assert sent["points"] == {"ABIM": 6.5}
        assert not {"lat", "lng"} & set(sent)


class TestApply:
    def test_deletes_then_adds_and_waits_for_both(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: the exact write sequence."""
        engine.apply([search_doc()], ["gone1", "gone2"])
        assert fake.calls == [
            ("POST", "/indexes/activities/documents/delete-batch", ["gone1", "gone2"]),
            ("POST", "/indexes/activities/documents?primaryKey=id", [meili_doc()]),
            task(0),
            task(1),
        ]

    def test_nothing_to_do_sends_nothing(self, engine: MeilisearchEngine, fake: FakeMeili) -> None:
        """Intercepts HTTP: no request at all."""
        engine.apply([], [])
        assert fake.calls == []

    def test_failed_task_raises(self, engine: MeilisearchEngine, fake: FakeMeili) -> None:
        """Intercepts HTTP: the addition task fails."""
        fake.failed[0] = {"code": "invalid_document_id", "message": "bad id"}
        with pytest.raises(EngineUnavailable, match="invalid_document_id: bad id"):
            engine.apply([search_doc()], [])

    def test_connection_error_raises_unavailable(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: requests cannot connect."""
        fake.raises = requests.exceptions.ConnectionError("connection refused")
        with pytest.raises(EngineUnavailable, match="unreachable") as caught:
            engine.apply([search_doc()], ["gone"])
        assert type(caught.value) is EngineUnavailable


class TestRebuild:
    def test_builds_new_index_swaps_and_drops_old(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: the exact rebuild sequence."""
        fake.failed[0] = {"code": "index_not_found", "message": "no leftover"}
        fake.failed[1] = {"code": "index_already_exists", "message": "live exists"}
        count = engine.rebuild(iter([[search_doc("d1"), search_doc("d2")], [], [search_doc("d3")]]))
        assert count == 3
        documents = "/indexes/activities_new/documents?primaryKey=id"
        assert fake.calls == [
            ("DELETE", "/indexes/activities_new", None),
            task(0),
            ("POST", "/indexes", {"uid": "activities", "primaryKey": "id"}),
            task(1),
            ("POST", "/indexes", {"uid": "activities_new", "primaryKey": "id"}),
            task(2),
            VERSION_CALL,
            ("PATCH", "/indexes/activities_new/settings", SETTINGS),
            task(3),
            ("POST", documents, [meili_doc("d1"), meili_doc("d2")]),
            ("POST", documents, [meili_doc("d3")]),
            task(4),
            task(5),
            # The swap is seen done through the live index (an index-scoped key cannot read
            # the swap task): its creation time becomes the new index's.
            ("GET", "/indexes/activities_new", None),
            ("POST", "/swap-indexes", [{"indexes": ["activities", "activities_new"]}]),
            ("GET", "/indexes/activities", None),
            ("DELETE", "/indexes/activities_new", None),
            task(7),
        ]

    def test_missing_leftover_answered_with_404_is_fine(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: DELETE answers 404 at once."""
        missing = {"message": "not found", "code": "index_not_found", "type": "t", "link": "l"}
        fake.answers[("DELETE", "/indexes/activities_new")] = (404, missing)
        assert engine.rebuild([]) == 0
        assert fake.calls[1] == ("POST", "/indexes", {"uid": "activities", "primaryKey": "id"})

    def test_failed_batch_stops_before_the_swap(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: a document batch fails."""
        fake.failed[4] = {"code": "invalid_document_geo_field", "message": "bad _geo"}
        with pytest.raises(EngineUnavailable, match="invalid_document_geo_field"):
            engine.rebuild([[search_doc()]])
        assert not [c for c in fake.calls if c[1] == "/swap-indexes"]

    def test_other_create_failure_raises(self, engine: MeilisearchEngine, fake: FakeMeili) -> None:
        """Intercepts HTTP: index creation fails."""
        fake.failed[2] = {"code": "index_already_exists", "message": "someone else rebuilds"}
        with pytest.raises(EngineUnavailable, match="index_already_exists"):
            engine.rebuild([])


class TestAdmin:
    def test_count_is_an_exhaustive_search_without_hits(
        self, engine: MeilisearchEngine, fake: FakeMeili
    ) -> None:
        """Intercepts HTTP: the stats route needs stats.get, which neither documented key has
        (tests/indexer/test_meilisearch_live.py counts on a live server with both keys)."""
        answer = {"hits": [], "totalHits": 12, "page": 1, "hitsPerPage": 0, "totalPages": 0}
        fake.answers[("POST", "/indexes/activities/search")] = (200, answer)
        assert engine.count() == 12
        assert fake.calls == [
            ("POST", "/indexes/activities/search", {"q": "", "page": 1, "hitsPerPage": 0})
        ]

    def test_ping_available(self, engine: MeilisearchEngine, fake: FakeMeili) -> None:
        """Intercepts HTTP: GET /health."""
        fake.answers[("GET", "/health")] = (200, {"status": "available"})
        engine.ping()
        assert fake.calls == [("GET", "/health", None)]

    @pytest.mark.parametrize(
        "setup",
        [
            lambda f: setattr(f, "raises", requests.exceptions.ConnectionError("refused")),
            lambda f: f.answers.update({("GET", "/health"): (200, {"status": "starting"})}),
        ],
        ids=["unreachable", "not-available"],
    )
    def test_ping_raises_unavailable(
        self, engine: MeilisearchEngine, fake: FakeMeili, setup: Callable[[FakeMeili], None]
    ) -> None:
        """Intercepts HTTP: the server is not ready."""
        setup(fake)
        with pytest.raises(EngineUnavailable):
            engine.ping()


def test_search_query_facet_groups_map_to_settings() -> None:
    """Every facet group is filterable, so facet requests never name a non-filterable field."""
    filterable: Any = SETTINGS["filterableAttributes"]
    facets = [FACET_FIELDS[g] for g in FACET_GROUPS]
    assert [*facets, "flags"] == filterable[0]["attributePatterns"]
