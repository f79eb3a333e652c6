"""The public read API of api.md through the real ASGI app, SQLite catalog and tantivy index.

The catalog is the contract fixture (13 public activities A-N; X unlisted, Z without MOC)
with Y re-dated into the past so it has ended relative to the real today the app uses; every
other fixture date lies in 2029-2031, so those activities are current.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from catalog.reference import reference
from catalog.service import public_id
from indexer.documents import tie_breaker
from indexer.query import MAX_FILTER_VALUES
from indexer.vocabulary import FACET_GROUPS, PARAMS
from tests.builders import ENGINES, build_catalog, on_engine
from tests.contract.catalog_fixture import PROVIDERS, fixture_ended_y, id_of, key_of

SEARCH = "/api/v1/activities"
PUBLIC = set("ABCDEFGHIJKMN")
RESPONSE_KEYS = ["total", "page", "per_page", "pages", "hits", "facets"]
HIT_KEYS = {
    "id", "title", "provider", "activity_type", "format", "start_date", "end_date", "location",
    "cme_credits", "moc", "registration", "fee", "url",
}  # fmt: skip
ACTIVITY_KEYS = {
    "id", "provider_activity_id", "title", "description", "activity_type", "format",
    "start_date", "end_date", "location", "url", "fee", "cme_credits", "specialties", "moc",
    "listed", "registration", "provider", "created_at", "updated_at", "accme_activity_id",
    "providership", "joint_providers", "commercial_support", "rems", "mips", "topics",
}  # fmt: skip
FACET_VALUE_KEYS = ["value", "label", "count", "selected"]
ETAG = re.compile(r'^W/"[0-9a-f]{32}"$')
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module", params=ENGINES)
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The fixture catalog served by each engine: every route test runs on both."""
    built = build_catalog(tmp_path_factory.mktemp("routes"), fixture_ended_y(), PROVIDERS)
    return on_engine(built, request.param, request)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def partner_client(settings: Settings) -> Iterator[TestClient]:
    """The same catalog served with CORS restricted to one partner origin."""
    restricted = settings.model_copy(update={"cors_origins": ["https://partner.example"]})
    with TestClient(create_app(restricted)) as test_client:
        yield test_client


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get(SEARCH, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def keys(body: dict[str, Any]) -> list[str]:
    return [key_of(hit["id"]) for hit in body["hits"]]


def counts(body: dict[str, Any], group: str) -> list[tuple[str, int, bool]]:
    return [(v["value"], v["count"], v["selected"]) for v in body["facets"][group]]


def by_tie(*names: str) -> list[str]:
    """Keys that share a sort value, in the engine's tie-breaker order."""
    return sorted(names, key=lambda k: tie_breaker(id_of(k)))


DATE_ORDER = ["C", *by_tie("D", "F"), "I", "H", "M", "B", *by_tie("A", "N"), "E", "G", "J", "K"]


# -- search: every parameter ------------------------------------------------------------------


def test_search_no_filter_returns_every_public_activity(client: TestClient) -> None:
    body = search(client, per_page=100)
    assert {k: body[k] for k in ("total", "page", "per_page", "pages")} == {
        "total": 13, "page": 1, "per_page": 100, "pages": 1,
    }  # fmt: skip
    assert sorted(keys(body)) == sorted(PUBLIC)
    assert counts(body, "board") == [
        ("ABIM", 10, False), ("ABA", 3, False), ("ABP", 2, False), ("ABS", 1, False),
    ]  # fmt: skip
    assert counts(body, "format") == [
        ("online", 7, False), ("in_person", 5, False), ("hybrid", 1, False),
    ]  # fmt: skip
    assert counts(body, "fee") == [("free", 6, False), ("yes", 5, False), ("variable", 2, False)]
    assert counts(body, "registration") == [("open", 10, False), ("limited", 3, False)]
    assert counts(body, "provider") == [
        ("acme", 7, False), ("gas", 3, False), ("kids", 2, False), ("cuts", 1, False),
    ]  # fmt: skip
    assert counts(body, "specialty") == [
        ("internal_medicine", 9, False), ("anesthesiology", 3, False),
        ("pediatrics", 2, False), ("surgery", 1, False),
    ]  # fmt: skip
    assert counts(body, "activity_type") == [
        ("course", 6, False), ("enduring_material", 5, False),
        ("journal_cme", 1, False), ("rss", 1, False),
    ]  # fmt: skip
    assert counts(body, "state") == [(s, 1, False) for s in ["CA", "IL", "MA", "NJ", "NY", "PA"]]
    assert counts(body, "country") == [("US", 6, False)]
    assert counts(body, "credit_type")[:3] == [
        ("ABIM:MK", 9, False), ("ABA:LL", 3, False), ("ABP:LLSA", 2, False),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"q": "cardiology"}, ["A", "B", "D", "H"], id="q"),
        pytest.param({"q": "cardiolgy"}, ["A", "B", "D", "H"], id="q-typo"),
        pytest.param({"q": "kids hospital"}, ["C", "D"], id="q-provider-name"),
        pytest.param({"q": "secrets"}, [], id="q-unlisted-never-found"),
        pytest.param({"q": "2029"}, [], id="q-ended-never-found"),
        pytest.param({"q": "without"}, [], id="q-no-moc-never-found"),
        pytest.param({"board": "ABP"}, ["C", "D"], id="board"),
        pytest.param({"board": ["ABP", "ABA"]}, ["C", "D", "E", "I", "K"], id="board-or"),
        pytest.param({"board": "ABIM", "format": "online"}, ["G", "H", "I", "M", "N"],
                     id="board-and-format"),
        pytest.param({"credit_type": "ABIM:PA"}, ["K"], id="credit-type"),
        pytest.param({"credit_type": ["ABA:PS", "ABIM:PS"]}, ["A", "E"], id="credit-type-or"),
        pytest.param({"practice_area": "ABIM:Cardiovascular Disease"}, ["A", "H"], id="area"),
        pytest.param({"specialty": "pediatrics"}, ["C", "D"], id="specialty"),
        pytest.param({"activity_type": "course"}, ["A", "B", "E", "G", "J", "K"], id="type"),
        pytest.param({"format": "online"}, ["C", "F", "G", "H", "I", "M", "N"], id="format"),
        pytest.param({"format": ["hybrid", "in_person"]}, ["A", "B", "D", "E", "J", "K"],
                     id="format-or"),
        pytest.param({"state": ["NY", "NJ"]}, ["B", "J"], id="state"),
        pytest.param({"country": "US"}, ["A", "B", "D", "E", "J", "K"], id="country"),
        pytest.param({"provider": "kids"}, ["C", "D"], id="provider"),
        pytest.param({"provider": ["kids", "cuts"]}, ["C", "D", "F"], id="provider-or"),
        pytest.param({"registration": "limited"}, ["B", "E", "I"], id="registration-limited"),
        pytest.param({"registration": "open"}, sorted(PUBLIC - {"B", "E", "I"}),
                     id="registration-open"),
        pytest.param({"fee": "free"}, ["C", "D", "F", "H", "M", "N"], id="fee"),
        pytest.param({"fee": ["free", "variable"]}, ["B", "C", "D", "F", "H", "I", "M", "N"],
                     id="fee-or"),
        pytest.param({"date_from": "2030-04-01", "date_to": "2030-04-30"},
                     ["C", "D", "E", "F", "H", "I", "M", "N"], id="date-overlap"),
        pytest.param({"date_to": "2030-03-01"}, ["A", "B", "C", "D", "F", "H", "I", "M", "N"],
                     id="date-to-inclusive"),
        pytest.param({"date_from": "2030-03-03"}, sorted(PUBLIC - {"B"}), id="date-from-inclusive"),
        pytest.param({"near": "10001"}, ["B", "J"], id="near-default-radius-50"),
        pytest.param({"near": "10001", "radius_mi": "25"}, ["B", "J"], id="radius-25"),
        pytest.param({"near": "10001", "radius_mi": "150"}, ["A", "B", "J"], id="radius-150"),
        pytest.param({"near": "10001", "radius_mi": "250"}, ["A", "B", "D", "J"], id="radius-250"),
        pytest.param({"near": "40.7484,-73.9967", "radius_mi": "25"}, ["B", "J"], id="lat-lng"),
        pytest.param({"min_points": "10"}, ["A", "D", "E", "G"], id="min-points"),
        pytest.param({"min_points": "10", "board": "ABP"}, ["D"], id="min-points-board"),
        pytest.param({"min_points": "12", "board": ["ABIM", "ABA"]}, ["D", "E", "G"],
                     id="min-points-boards"),
        pytest.param({"board": "ABA", "min_points": "7"}, ["E", "K"], id="min-points-exact"),
        pytest.param({"board": "ABS", "format": "in_person"}, [], id="nothing-is-200"),
        pytest.param({"provider": "nobody"}, [], id="unknown-provider-is-empty"),
    ],
)  # fmt: skip
def test_search_filter_exact_ids(
    client: TestClient, params: dict[str, Any], expected: list[str]
) -> None:
    body = search(client, per_page=100, **params)
    assert sorted(keys(body)) == expected
    assert body["total"] == len(expected)
    assert body["pages"] == (1 if expected else 0)
    # Counts agree with the hits in a single-valued group that is not itself filtered.
    group = "registration" if "provider" in params else "provider"
    assert sum(v["count"] for v in body["facets"][group]) == len(expected)


def test_search_disjunctive_facets_mark_selected_values(client: TestClient) -> None:
    body = search(client, board=["ABP", "ABA"])
    assert counts(body, "board") == [
        ("ABIM", 10, False), ("ABA", 3, True), ("ABP", 2, True), ("ABS", 1, False),
    ]  # fmt: skip
    assert counts(body, "format") == [("in_person", 3, False), ("online", 2, False)]


def test_search_selected_value_without_match_shown_at_zero(client: TestClient) -> None:
    body = search(client, board="ABS", format="in_person")
    assert (body["total"], body["pages"], body["hits"]) == (0, 0, [])
    assert ("ABS", 0, True) in counts(body, "board")
    assert ("in_person", 0, True) in counts(body, "format")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"sort": "date"}, DATE_ORDER, id="date"),
        pytest.param({}, DATE_ORDER, id="default-without-q"),
        pytest.param({"sort": "-date"}, DATE_ORDER[::-1], id="-date"),
        pytest.param({"sort": "points"},
                     ["D", "G", "E", "A", "B", "K", "J", "I", "C", "M", "F", "H", "N"],
                     id="points"),
        pytest.param({"sort": "title"},
                     ["E", "H", "A", "K", "B", "J", "G", "C", "D", "N", "I", "F", "M"],
                     id="title"),
        pytest.param({"sort": "distance", "near": "10001", "radius_mi": "500"},
                     ["B", "J", "A", "D"], id="distance"),
        pytest.param({"q": "cardiology", "sort": "date"}, ["D", "H", "B", "A"], id="q-by-date"),
    ],
)  # fmt: skip
def test_search_sort_orders(
    client: TestClient, params: dict[str, Any], expected: list[str]
) -> None:
    assert keys(search(client, per_page=100, **params)) == expected


@pytest.mark.parametrize("sort", [None, "relevance"])
def test_search_relevance_exact_title_first(client: TestClient, sort: str | None) -> None:
    params = {"q": "sleep medicine"} | ({"sort": sort} if sort else {})
    found = keys(search(client, **params))
    assert found[0] == "N"
    assert sorted(found) == ["I", "M", "N"]


def test_search_distance_values_with_lat_lng(client: TestClient) -> None:
    body = search(client, near="40.7484,-73.9967", radius_mi="25", sort="distance")
    assert [(key_of(h["id"]), h["distance_mi"]) for h in body["hits"]] == [("B", 0.0), ("J", 9.5)]


@pytest.mark.parametrize("sort", ["date", "-date", "points", "title"])
def test_search_pages_have_no_duplicates_or_gaps(client: TestClient, sort: str) -> None:
    everything = keys(search(client, sort=sort, per_page=100))
    pages = [search(client, sort=sort, per_page=5, page=p) for p in (1, 2, 3)]
    assert [len(p["hits"]) for p in pages] == [5, 5, 3]
    assert [(p["total"], p["page"], p["per_page"], p["pages"]) for p in pages] == [
        (13, n, 5, 3) for n in (1, 2, 3)
    ]
    assert [k for p in pages for k in keys(p)] == everything


def test_search_per_page_defaults_to_20(client: TestClient) -> None:
    body = search(client)
    assert (body["page"], body["per_page"], body["pages"], len(body["hits"])) == (1, 20, 1, 13)


@pytest.mark.parametrize(
    ("facets", "groups"),
    [
        pytest.param(None, list(FACET_GROUPS), id="default-all"),
        pytest.param(["board"], ["board"], id="one"),
        pytest.param(["fee", "board"], ["fee", "board"], id="two"),
    ],
)
def test_search_facets_parameter_selects_groups(
    client: TestClient, facets: list[str] | None, groups: list[str]
) -> None:
    body = search(client, **({"facets": facets} if facets else {}))
    assert sorted(body["facets"]) == sorted(groups)


# -- search: shapes ---------------------------------------------------------------------------


def test_search_response_shape(client: TestClient) -> None:
    body = search(client, per_page=100)
    assert list(body) == RESPONSE_KEYS
    assert all(set(hit) == HIT_KEYS for hit in body["hits"])
    values = [v for group in body["facets"].values() for v in group]
    assert values
    assert all(list(v) == FACET_VALUE_KEYS for v in values)


@pytest.mark.parametrize(
    ("params", "extra"),
    [
        pytest.param({}, set(), id="plain"),
        pytest.param({"near": "10001", "radius_mi": "500"}, {"distance_mi"}, id="near"),
        pytest.param({"q": "cardiology"}, {"highlight"}, id="q"),
        pytest.param({"q": "cardiology", "near": "10001", "radius_mi": "500"},
                     {"distance_mi", "highlight"}, id="q-and-near"),
    ],
)  # fmt: skip
def test_search_hit_keys_distance_only_with_near_highlight_only_with_q(
    client: TestClient, params: dict[str, str], extra: set[str]
) -> None:
    hits = search(client, per_page=100, **params)["hits"]
    assert hits
    assert all(set(hit) == HIT_KEYS | extra for hit in hits)


def test_search_hit_exact_shape(client: TestClient) -> None:
    (hit,) = search(client, q="anesthesia patient", near="60601", radius_mi="10")["hits"]
    assert hit == {
        "id": id_of("E"),
        "title": "Anesthesia Patient Safety Course",
        "provider": {"id": "gas", "name": "Anesthesia Educators Society"},
        "activity_type": "course",
        "format": "in_person",
        "start_date": "2030-04-10",
        "end_date": "2030-04-12",
        "location": {"city": "Chicago", "state": "IL", "country": "US"},
        "distance_mi": 0.0,
        "cme_credits": 12.0,
        "moc": [
            {"board": "ABA", "points": 12.0, "credit_types": ["PS", "LL"],
             "practice_areas": ["Regional Anesthesia/Acute Pain"]},
        ],
        "registration": "limited",
        "fee": "yes",
        "url": "https://example.org/E",
        "highlight": {"title": "<mark>Anesthesia</mark> <mark>Patient</mark> Safety Course"},
    }  # fmt: skip


def test_search_highlight_is_escaped_html(client: TestClient) -> None:
    (hit,) = search(client, q="tricks")["hits"]
    assert hit["highlight"] == {
        "title": "Tips &amp; &lt;b&gt;<mark>Tricks</mark>&lt;/b&gt; in Sleep"
    }
    assert hit["title"] == "Tips & <b>Tricks</b> in Sleep"


def test_search_facet_labels(client: TestClient) -> None:
    facets = search(client, credit_type="ABIM:MK")["facets"]
    assert {"value": "ABIM:MK", "label": "Medical Knowledge (ABIM)", "count": 9,
            "selected": True} in facets["credit_type"]  # fmt: skip
    assert {v["value"]: v["label"] for v in facets["board"]}["ABP"] == (
        "American Board of Pediatrics"
    )
    assert {v["value"]: v["label"] for v in facets["provider"]}["kids"] == "Kids Hospital CME"


# -- search: errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"board": "ABX"}, "board", id="unknown-board"),
        pytest.param({"board": ["ABIM", "ABX"]}, "board", id="unknown-board-among-known"),
        pytest.param({"credit_type": "MK"}, "credit_type", id="unqualified-credit-type"),
        pytest.param({"practice_area": "ABIM:Nowhere"}, "practice_area", id="unknown-area"),
        pytest.param({"specialty": "astrology"}, "specialty", id="unknown-specialty"),
        pytest.param({"activity_type": "party"}, "activity_type", id="unknown-type"),
        pytest.param({"format": "radio"}, "format", id="unknown-format"),
        pytest.param({"state": "ZZ"}, "state", id="unknown-state"),
        pytest.param({"country": "USA"}, "country", id="unknown-country"),
        pytest.param({"provider": "bad id"}, "provider", id="bad-provider-id"),
        pytest.param({"registration": "closed"}, "registration", id="bad-registration"),
        pytest.param({"fee": "maybe"}, "fee", id="bad-fee"),
        pytest.param({"date_from": "2030-02-30"}, "date_from", id="impossible-date"),
        pytest.param({"date_to": "tomorrow"}, "date_to", id="not-a-date"),
        pytest.param({"date_from": "2030-02-01", "date_to": "2030-01-01"}, "date_to",
                     id="window-backwards"),
        pytest.param({"near": "99999"}, "near", id="unknown-zip"),
        pytest.param({"near": "91,0"}, "near", id="latitude-out-of-range"),
        pytest.param({"near": "10001", "radius_mi": "0"}, "radius_mi", id="radius-0"),
        pytest.param({"near": "10001", "radius_mi": "501"}, "radius_mi", id="radius-501"),
        pytest.param({"min_points": "0"}, "min_points", id="min-points-0"),
        pytest.param({"sort": "distance"}, "sort", id="distance-without-near"),
        pytest.param({"sort": "nearest"}, "sort", id="unknown-sort"),
        pytest.param({"per_page": "101"}, "per_page", id="per-page-over-100"),
        pytest.param({"per_page": "0"}, "per_page", id="per-page-0"),
        pytest.param({"page": "0"}, "page", id="page-0"),
        pytest.param({"page": "3"}, "page", id="page-past-the-end"),
        pytest.param({"page": "2", "board": "ABS", "format": "in_person"}, "page",
                     id="page-2-of-nothing"),
        pytest.param({"q": "x" * 201}, "q", id="q-too-long"),
        pytest.param({"facets": "bogus"}, "facets", id="unknown-facet-group"),
    ],
)  # fmt: skip
def test_search_invalid_parameter_is_422_problem_naming_it(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    response = client.get(SEARCH, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert (body["status"], body["title"], body["type"]) == (
        422, "Unprocessable Content", "about:blank",
    )  # fmt: skip
    assert body["detail"]
    assert [e["field"] for e in body["errors"]] == [field]
    assert all(e["message"] for e in body["errors"])


def test_search_reports_every_invalid_parameter_at_once(client: TestClient) -> None:
    response = client.get(SEARCH, params={"board": "ABX", "fee": "maybe", "per_page": "101"})
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["board", "fee", "per_page"]


# -- detail -----------------------------------------------------------------------------------


def test_activity_detail_full_shape(client: TestClient) -> None:
    response = client.get(f"{SEARCH}/{id_of('A')}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == ACTIVITY_KEYS
    timestamps = {k: body.pop(k) for k in ("created_at", "updated_at")}
    assert timestamps["created_at"] == timestamps["updated_at"]
    assert body == {
        "id": id_of("A"),
        "provider_activity_id": "A",
        "provider": {"id": "acme", "name": "ACME Medical Education"},
        "title": "Cardiology Update 2030",
        "description": None,
        "activity_type": "course",
        "format": "in_person",
        "start_date": "2030-03-01",
        "end_date": "2030-03-03",
        "location": {"venue": None, "city": "Philadelphia", "state": "PA",
                     "postal_code": "19107", "country": "US", "lat": 39.9487, "lng": -75.1593},
        "url": "https://example.org/A",
        "fee": "yes",
        "cme_credits": 10.0,
        "specialties": ["internal_medicine"],
        "moc": [{"board": "ABIM", "points": 10.0, "credit_types": ["MK", "PS"],
                 "practice_areas": ["Cardiovascular Disease"], "credit_claim_date": None,
                 "content_outline": []}],
        "listed": True,
        "registration": "open",
        "accme_activity_id": None,
        "providership": "direct",
        "joint_providers": [],
        "commercial_support": [],
        "rems": False,
        "mips": True,
        "topics": ["risk_management"],
    }  # fmt: skip


@pytest.mark.parametrize("key", sorted(PUBLIC))
def test_activity_detail_every_public_activity(client: TestClient, key: str) -> None:
    response = client.get(f"{SEARCH}/{id_of(key)}")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["provider_activity_id"]) == (id_of(key), key)


@pytest.mark.parametrize(
    "activity_id",
    [
        pytest.param("nope", id="unknown"),
        pytest.param(public_id("acme", "NEVER"), id="unknown-well-formed"),
        pytest.param(id_of("X"), id="unlisted"),
        pytest.param(id_of("Y"), id="ended"),
        pytest.param(id_of("Z"), id="no-moc"),
    ],
)
def test_activity_detail_hidden_or_unknown_is_404_problem(
    client: TestClient, activity_id: str
) -> None:
    response = client.get(f"{SEARCH}/{activity_id}")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert (body["status"], body["title"]) == (404, "Not Found")
    assert "Secrets" not in response.text
    assert "etag" not in response.headers


# -- reference facets and providers -----------------------------------------------------------


def test_facets_lists_every_reference_group(client: TestClient) -> None:
    response = client.get("/api/v1/facets")
    assert response.status_code == 200
    body = response.json()
    ref = reference()
    assert list(body) == [
        "board", "credit_type", "practice_area", "content_outline", "specialty", "topic",
        "activity_type", "format", "fee", "registration", "state", "country",
    ]  # fmt: skip
    assert all(list(option) == ["value", "label"] for group in body.values() for option in group)
    active = [b for b in ref.boards.values() if b.active]
    assert [o["value"] for o in body["board"]] == [b.code for b in active]
    assert "ABO" not in [o["value"] for o in body["board"]]
    assert len(body["credit_type"]) == sum(len(b.credit_types) for b in active)
    assert len(body["practice_area"]) == sum(len(b.practice_areas) for b in active)
    assert {o["value"] for o in body["specialty"]} == set(ref.specialties)
    assert {o["value"] for o in body["state"]} == set(ref.us_states)
    assert {o["value"] for o in body["country"]} == set(ref.countries)


@pytest.mark.parametrize(
    ("group", "option"),
    [
        ("board", {"value": "ABIM", "label": "American Board of Internal Medicine"}),
        ("board", {"value": "ABP", "label": "American Board of Pediatrics"}),
        ("credit_type", {"value": "ABIM:MK", "label": "Medical Knowledge (ABIM)"}),
        ("practice_area", {"value": "ABIM:Cardiovascular Disease",
                           "label": "Cardiovascular Disease (ABIM)"}),
        ("specialty", {"value": "pediatrics", "label": "Pediatrics"}),
        ("activity_type", {"value": "course", "label": "Course (live)"}),
        ("activity_type", {"value": "enduring_material", "label": "Enduring Material"}),
        ("state", {"value": "PA", "label": "Pennsylvania"}),
        ("country", {"value": "US", "label": "United States"}),
    ],
)  # fmt: skip
def test_facets_codes_and_labels(client: TestClient, group: str, option: dict[str, str]) -> None:
    assert option in client.get("/api/v1/facets").json()[group]


@pytest.mark.parametrize(
    ("group", "options"),
    [
        (
            "format",
            [("in_person", "In person"), ("online", "Online"), ("hybrid", "In person and online")],
        ),
        ("fee", [("yes", "Paid"), ("free", "Free"), ("variable", "Variable fee")]),
        ("registration", [("open", "Open to all"), ("limited", "Limited")]),
    ],
)
def test_facets_small_groups_exact(
    client: TestClient, group: str, options: list[tuple[str, str]]
) -> None:
    body = client.get("/api/v1/facets").json()
    assert [(o["value"], o["label"]) for o in body[group]] == options


@pytest.mark.parametrize(
    ("provider_id", "count"), [("acme", 7), ("gas", 3), ("kids", 2), ("cuts", 1)]
)
def test_provider_profile_counts_listed_current_activities(
    client: TestClient, provider_id: str, count: int
) -> None:
    response = client.get(f"/api/v1/providers/{provider_id}")
    assert response.status_code == 200
    assert response.json() == {
        "id": provider_id, "name": PROVIDERS[provider_id], "accreditor": "ACCME",
        "listed_activities": count,
    }  # fmt: skip


def test_provider_unknown_is_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/providers/nobody")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 404


# -- HTTP behaviour ---------------------------------------------------------------------------

CACHED_PATHS = [
    pytest.param(f"{SEARCH}?board=ABIM", id="search"),
    pytest.param(f"{SEARCH}/{id_of('A')}", id="detail"),
    pytest.param("/api/v1/facets", id="facets"),
    pytest.param("/api/v1/providers/acme", id="provider"),
]


@pytest.mark.parametrize("path", CACHED_PATHS)
def test_http_etag_and_cache_control(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert ETAG.match(response.headers["etag"])
    assert response.headers["cache-control"] == "public, max-age=60"
    assert client.get(path).headers["etag"] == response.headers["etag"]


@pytest.mark.parametrize("path", CACHED_PATHS)
@pytest.mark.parametrize(
    "header",
    [
        pytest.param("{etag}", id="weak-as-sent"),
        pytest.param("{bare}", id="strong-form"),
        pytest.param('"0000", {etag}', id="in-list"),
        pytest.param("*", id="star"),
    ],
)
def test_http_if_none_match_gives_304(client: TestClient, path: str, header: str) -> None:
    etag = client.get(path).headers["etag"]
    bare = etag.removeprefix("W/")
    response = client.get(path, headers={"If-None-Match": header.format(etag=etag, bare=bare)})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == "public, max-age=60"


def test_http_stale_if_none_match_gives_200(client: TestClient) -> None:
    response = client.get(SEARCH, headers={"If-None-Match": '"00000000000000000000000000000000"'})
    assert response.status_code == 200
    assert response.json()["total"] == 13


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(f"{SEARCH}?board=ABIM", f"{SEARCH}?board=ABP", id="search"),
        pytest.param(f"{SEARCH}?per_page=5", f"{SEARCH}?per_page=5&page=2", id="page"),
        pytest.param(f"{SEARCH}/{id_of('A')}", f"{SEARCH}/{id_of('B')}", id="detail"),
        pytest.param("/api/v1/providers/acme", "/api/v1/providers/gas", id="provider"),
    ],
)
def test_http_different_body_different_etag(client: TestClient, first: str, second: str) -> None:
    one, two = client.get(first), client.get(second)
    assert one.content != two.content
    assert one.headers["etag"] != two.headers["etag"]
    again = client.get(second, headers={"If-None-Match": one.headers["etag"]})
    assert again.status_code == 200


def test_http_gzip_when_accepted_and_large(client: TestClient) -> None:
    plain = client.get(SEARCH, params={"per_page": 100}, headers={"Accept-Encoding": "identity"})
    zipped = client.get(SEARCH, params={"per_page": 100}, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["vary"]
    assert int(zipped.headers["content-length"]) < len(plain.content)
    assert zipped.json() == plain.json()


def test_http_no_gzip_for_small_body(client: TestClient) -> None:
    response = client.get("/api/v1/providers/cuts", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers


@pytest.mark.parametrize(
    "path", [SEARCH, f"{SEARCH}/{id_of('A')}", f"{SEARCH}?board=ABX", "/api/v1/facets"]
)
def test_http_cors_default_allows_any_origin(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Origin": "https://anyone.example"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_http_cors_restricted_allows_partner_origin(partner_client: TestClient) -> None:
    response = partner_client.get(SEARCH, headers={"Origin": "https://partner.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://partner.example"
    assert "Origin" in response.headers["vary"]


def test_http_cors_restricted_refuses_other_origin(partner_client: TestClient) -> None:
    response = partner_client.get(SEARCH, headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("origin", "method", "status", "allowed"),
    [
        ("https://partner.example", "GET", 200, "https://partner.example"),
        ("https://evil.example", "GET", 400, None),
        ("https://partner.example", "DELETE", 400, "https://partner.example"),
    ],
)
def test_http_cors_preflight(
    partner_client: TestClient, origin: str, method: str, status: int, allowed: str | None
) -> None:
    response = partner_client.options(
        SEARCH, headers={"Origin": origin, "Access-Control-Request-Method": method}
    )
    assert response.status_code == status
    assert response.headers.get("access-control-allow-origin") == allowed


def test_http_unknown_path_is_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank", "status": 404, "title": "Not Found", "detail": "Not Found",
    }  # fmt: skip


def test_http_wrong_method_is_405_problem(client: TestClient) -> None:
    response = client.post(SEARCH)
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["allow"] == "GET"
    assert response.json() == {
        "type": "about:blank", "status": 405, "title": "Method Not Allowed",
        "detail": "Method Not Allowed",
    }  # fmt: skip


def test_http_304_keeps_the_vary_of_the_200(client: TestClient) -> None:
    headers = {"Accept-Encoding": "gzip"}
    full = client.get(SEARCH, params={"per_page": 100}, headers=headers)
    assert "Accept-Encoding" in full.headers["vary"]
    headers["If-None-Match"] = full.headers["etag"]
    revalidated = client.get(SEARCH, params={"per_page": 100}, headers=headers)
    assert revalidated.status_code == 304
    assert revalidated.headers["vary"] == full.headers["vary"]


# -- the vocabulary behind the parameters -----------------------------------------------------


@pytest.mark.parametrize("path", [SEARCH, f"{SEARCH}/export.csv", f"{SEARCH}/export.ndjson"])
def test_openapi_documents_every_search_parameter_of_the_vocabulary(
    client: TestClient, path: str
) -> None:
    operation = client.get("/openapi.json").json()["paths"][path]["get"]
    documented = {p["name"]: p for p in operation["parameters"]}
    assert list(documented) == [p.name for p in PARAMS]
    for param in PARAMS:
        assert documented[param.name]["description"].startswith(param.description)
        assert documented[param.name]["in"] == "query"


def test_search_too_many_filter_values_is_422_naming_the_parameter(client: TestClient) -> None:
    states = list(reference().us_states)[:45]
    countries = list(reference().countries)[: MAX_FILTER_VALUES - 45 + 1]
    response = client.get(SEARCH, params={"state": states, "country": countries})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "country", "message": f"at most {MAX_FILTER_VALUES} filter values in all"}
    ]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        pytest.param({"date_from": "2027-02-30"}, "date_from",
                     "2027-02-30 is not a day: February 2027 has 28 days", id="no-such-day"),
        pytest.param({"date_to": "soon"}, "date_to", "must be an ISO date (YYYY-MM-DD)",
                     id="not-a-date"),
        pytest.param({"min_points": "lots"}, "min_points", "must be a number from 0.25 to 1000",
                     id="not-a-number"),
        pytest.param({"page": "two"}, "page", "pages are numbered from 1", id="page-word"),
        pytest.param({"credit_type": "MK"}, "credit_type",
                     "unknown value 'MK': give it with its board, as BOARD:MK (ABIM:MK)",
                     id="bare-credit-type"),
        pytest.param({"board": "ABMI"}, "board", "unknown value 'ABMI'; did you mean 'ABIM'?",
                     id="misspelt-board"),
        pytest.param({"page": "3"}, "page", "must be at most 1, the last page", id="past-the-end"),
    ],
)  # fmt: skip
def test_search_errors_are_plain_words(
    client: TestClient, params: dict[str, str], field: str, message: str
) -> None:
    """Our parser answers every value, never pydantic's wording ("Input should be ...")."""
    response = client.get(SEARCH, params=params)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": field, "message": message}]


def test_search_codes_in_another_case_are_the_codes(client: TestClient) -> None:
    lower = search(client, board="abim", state="pa", per_page=100)
    upper = search(client, board="ABIM", state="PA", per_page=100)
    assert lower["total"] == upper["total"] > 0
    assert keys(lower) == keys(upper)
    assert [v for v in lower["facets"]["board"] if v["selected"]][0]["value"] == "ABIM"


def test_search_parameters_keep_their_types_in_the_openapi(client: TestClient) -> None:
    parameters = {
        p["name"]: p["schema"]
        for p in client.get("/openapi.json").json()["paths"][SEARCH]["get"]["parameters"]
    }
    assert parameters["date_from"]["format"] == "date"
    assert parameters["page"]["type"] == "integer"
    assert parameters["min_points"]["type"] == "number"
