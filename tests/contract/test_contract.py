"""The engine contract: the same cases, exact sets and counts, against every engine.

The fixture (catalog_fixture.py) has 13 public activities A-N; X (unlisted), Y (ended) and
Z (no MOC) must never be returned or counted. Search.__call__ checks the hits of every case
for them; the facet totals below check the counts.
"""

from __future__ import annotations

import pytest

from indexer.documents import tie_breaker
from indexer.query import SearchResult
from tests.contract.catalog_fixture import HIDDEN, id_of
from tests.contract.conftest import Search

PUBLIC = set("ABCDEFGHIJKMN")


def counts(result: SearchResult, group: str) -> list[tuple[str, int, bool]]:
    return [(v.value, v.count, v.selected) for v in result.facets[group]]


def by_tie(*keys: str) -> list[str]:
    """Keys that share a sort value, in the tie-breaker order every engine must use."""
    return sorted(keys, key=lambda k: tie_breaker(id_of(k)))


def test_contract_no_filter_returns_every_public_activity(search: Search) -> None:
    result = search(per_page=100)
    assert {h["id"] for h in result.hits} == {id_of(k) for k in PUBLIC}
    assert (result.total, result.pages) == (13, 1)
    assert counts(result, "board") == [
        ("ABIM", 10, False), ("ABA", 3, False), ("ABP", 2, False), ("ABS", 1, False),
    ]  # fmt: skip
    assert counts(result, "format") == [
        ("online", 7, False), ("in_person", 5, False), ("hybrid", 1, False),
    ]  # fmt: skip
    assert counts(result, "fee") == [("free", 6, False), ("yes", 5, False), ("variable", 2, False)]
    assert counts(result, "registration") == [("open", 10, False), ("limited", 3, False)]
    assert counts(result, "provider") == [
        ("acme", 7, False), ("gas", 3, False), ("kids", 2, False), ("cuts", 1, False),
    ]  # fmt: skip
    # Activities that name no specialty count under their boards' (H, I, J, K, M, N).
    assert counts(result, "specialty") == [
        ("internal_medicine", 9, False), ("anesthesiology", 3, False),
        ("pediatrics", 2, False), ("surgery", 1, False),
    ]  # fmt: skip
    assert counts(result, "state") == [(s, 1, False) for s in ["CA", "IL", "MA", "NJ", "NY", "PA"]]
    assert counts(result, "activity_type") == [
        ("course", 6, False), ("enduring_material", 5, False),
        ("journal_cme", 1, False), ("rss", 1, False),
    ]  # fmt: skip
    assert counts(result, "credit_type")[:3] == [
        ("ABIM:MK", 9, False), ("ABA:LL", 3, False), ("ABP:LLSA", 2, False),
    ]  # fmt: skip
    assert sum(c for _, c, _ in counts(result, "credit_type")) == 9 + 3 + 2 + 1 + 1 + 1 + 1


def test_contract_facet_labels(search: Search) -> None:
    result = search(credit_type="ABIM:MK")
    labels = {v.value: v.label for v in result.facets["credit_type"]}
    assert labels["ABIM:MK"] == "Medical Knowledge (ABIM)"
    assert {v.value: v.label for v in result.facets["board"]}["ABP"] == (
        "American Board of Pediatrics"
    )
    assert {v.value: v.label for v in result.facets["provider"]}["kids"] == "Kids Hospital CME"


def test_contract_or_within_a_group_disjunctive_counts(search: Search) -> None:
    result = search(board=["ABP", "ABA"], per_page=100)
    assert sorted(search.keys(board=["ABP", "ABA"])) == ["C", "D", "E", "I", "K"]
    assert result.total == 5
    assert counts(result, "board") == [
        ("ABIM", 10, False), ("ABA", 3, True), ("ABP", 2, True), ("ABS", 1, False),
    ]  # fmt: skip
    assert counts(result, "format") == [("in_person", 3, False), ("online", 2, False)]


def test_contract_and_across_groups(search: Search) -> None:
    result = search(board="ABIM", format="online", per_page=100)
    assert sorted(search.keys(board="ABIM", format="online")) == ["G", "H", "I", "M", "N"]
    assert counts(result, "format") == [
        ("online", 5, True), ("in_person", 4, False), ("hybrid", 1, False),
    ]  # fmt: skip
    assert counts(result, "board") == [
        ("ABIM", 5, True), ("ABA", 1, False), ("ABP", 1, False), ("ABS", 1, False),
    ]  # fmt: skip


def test_contract_selected_value_with_no_match_is_shown_at_zero(search: Search) -> None:
    result = search(board="ABS", format="in_person")
    assert result.total == 0
    assert ("ABS", 0, True) in counts(result, "board")
    assert ("in_person", 0, True) in counts(result, "format")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"credit_type": "ABIM:PA"}, ["K"], id="credit-type"),
        pytest.param({"credit_type": ["ABA:PS", "ABIM:PS"]}, ["A", "E"], id="credit-type-or"),
        pytest.param({"practice_area": "ABIM:Cardiovascular Disease"}, ["A", "H"], id="area"),
        pytest.param({"specialty": "pediatrics"}, ["C", "D"], id="specialty"),
        pytest.param({"activity_type": "course"}, ["A", "B", "E", "G", "J", "K"], id="type"),
        pytest.param({"state": ["NY", "NJ"]}, ["B", "J"], id="state"),
        pytest.param({"country": "US"}, ["A", "B", "D", "E", "J", "K"], id="country"),
        pytest.param({"provider": "kids"}, ["C", "D"], id="provider"),
        pytest.param({"registration": "limited"}, ["B", "E", "I"], id="limited"),
        pytest.param({"fee": "free"}, ["C", "D", "F", "H", "M", "N"], id="fee"),
        pytest.param({"fee": ["free", "variable"]}, ["B", "C", "D", "F", "H", "I", "M", "N"],
                     id="fee-or"),
        pytest.param({"date_from": "2030-04-01", "date_to": "2030-04-30"},
                     ["C", "D", "E", "F", "H", "I", "M", "N"], id="date-overlap"),
        pytest.param({"date_to": "2030-03-01"}, ["A", "B", "C", "D", "F", "H", "I", "M", "N"],
                     id="date-to-inclusive"),
        pytest.param({"date_from": "2030-03-03"}, sorted(PUBLIC - {"B"}), id="date-from-inclusive"),
        pytest.param({"min_points": "10"}, ["A", "D", "E", "G"], id="min-points"),
        pytest.param({"min_points": "10", "board": "ABP"}, ["D"], id="min-points-board"),
        pytest.param({"min_points": "12", "board": ["ABIM", "ABA"]}, ["D", "E", "G"],
                     id="min-points-boards"),
        pytest.param({"board": "ABA", "min_points": "7"}, ["E", "K"], id="min-points-exact"),
        pytest.param({"board": "ABS", "format": "in_person"}, [], id="nothing"),
        pytest.param({"topic": "controlled_substances"}, ["E"], id="topic"),
        pytest.param({"topic": ["controlled_substances", "medical_ethics"]}, ["E", "G"],
                     id="topic-or"),
        pytest.param({"content_outline": "ABA:Regional Anesthesia"}, ["E"], id="outline"),
        pytest.param({"content_outline": ["ABA:Respiratory System", "ABA:Clinical Subspecialties"]},
                     ["I", "K"], id="outline-or"),
        pytest.param({"rems": "true"}, ["E"], id="rems"),
        pytest.param({"mips": "true"}, ["A"], id="mips"),
        pytest.param({"rems": "true", "mips": "true"}, [], id="rems-and-mips"),
        pytest.param({"rems": "false"}, sorted(PUBLIC), id="rems-false-is-no-filter"),
        pytest.param({"min_credits": "8"}, ["A", "B", "D", "E", "G"], id="min-credits"),
        pytest.param({"min_credits": "2.5"}, ["A", "B", "D", "E", "G", "I", "J", "K"],
                     id="min-credits-quarter"),
        pytest.param({"min_credits": "8", "board": "ABA"}, ["E"], id="min-credits-and-board"),
        pytest.param({"min_credits": "12", "min_points": "30"}, ["D", "G"],
                     id="min-credits-and-points"),
    ],
)  # fmt: skip
def test_contract_filters(search: Search, params: dict[str, object], expected: list[str]) -> None:
    result = search(per_page=100, **params)
    assert sorted(search.keys(per_page=100, **params)) == expected
    assert result.total == len(expected)
    # Counts agree with the hits in a single-valued group that is not filtered itself.
    group = "registration" if "provider" in params else "provider"
    assert sum(c for _, c, _ in counts(result, group)) == len(expected)


def test_contract_registration_facet_is_disjunctive(search: Search) -> None:
    result = search(registration="limited")
    assert counts(result, "registration") == [("open", 10, False), ("limited", 3, True)]


@pytest.mark.parametrize(
    ("radius", "expected"),
    [("25", ["B", "J"]), ("150", ["A", "B", "J"]), ("250", ["A", "B", "D", "J"])],
)
def test_contract_geo_radius_exact_with_counts(
    search: Search, radius: str, expected: list[str]
) -> None:
    result = search(near="10001", radius_mi=radius, per_page=100)
    assert sorted(search.keys(near="10001", radius_mi=radius)) == expected
    assert result.total == len(expected)
    assert sum(c for _, c, _ in counts(result, "format")) == len(expected)


def test_contract_geo_distance_and_lat_lng(search: Search) -> None:
    result = search(near="40.7484,-73.9967", radius_mi="25", sort="distance")
    assert [(search_key(h), h["distance_mi"]) for h in result.hits] == [("B", 0.0), ("J", 9.5)]
    formats = counts(search(near="10001", radius_mi="150"), "format")
    assert formats == [("in_person", 2, False), ("hybrid", 1, False)]


def search_key(hit: dict[str, object]) -> str:
    from tests.contract.catalog_fixture import key_of

    return key_of(str(hit["id"]))


DATE_ORDER = ["C", *by_tie("D", "F"), "I", "H", "M", "B", *by_tie("A", "N"), "E", "G", "J", "K"]


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
        pytest.param({"sort": "end"},
                     ["B", "A", "E", "G", "J", "I", "M", "N", "K", "H", "D", "F", "C"],
                     id="end-soonest-first"),
        pytest.param({"sort": "end", "q": "sleep"}, ["I", "M", "N"], id="end-with-words"),
    ],
)  # fmt: skip
def test_contract_sorts(search: Search, params: dict[str, object], expected: list[str]) -> None:
    assert search.keys(per_page=100, **params) == expected


@pytest.mark.parametrize("sort", ["date", "-date", "points", "title"])
def test_contract_pagination_no_duplicates_or_gaps(search: Search, sort: str) -> None:
    everything = search.keys(sort=sort, per_page=100)
    pages = [search(sort=sort, per_page=5, page=p) for p in (1, 2, 3, 4)]
    assert [len(p.hits) for p in pages] == [5, 5, 3, 0]
    assert all((p.total, p.pages) == (13, 3) for p in pages)
    assert [search_key(h) for p in pages for h in p.hits] == everything


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param("cardiology", ["A", "B", "D", "H"], id="word"),
        pytest.param("cardiolgy", ["A", "B", "D", "H"], id="one-typo-9-letters"),
        pytest.param("ashtma", ["C"], id="transposition-6-letters"),
        pytest.param("nefrology", ["G"], id="two-typos-9-letters"),
        pytest.param("hert", [], id="no-typo-under-5-letters"),
        pytest.param("xleep", [], id="no-first-letter-typo-under-9-letters"),
        pytest.param("kardiology", ["A", "B", "D", "H"], id="first-letter-typo-costs-two"),
        pytest.param("kardiolgy", [], id="first-letter-typo-and-another-is-three"),
        pytest.param("ardiology", ["A", "B", "D", "H"], id="first-letter-dropped-9-letters"),
        pytest.param("pediatric ashtm", ["C"], id="typo-in-prefix-of-last-word"),
        pytest.param("nephro", ["G"], id="prefix-last-word"),
        pytest.param("pediatric ast", ["C"], id="prefix-after-full-word"),
        pytest.param("CARDIOLOGY journal", ["H"], id="every-word-case-insensitive"),
        pytest.param("kids hospital", ["C", "D"], id="provider-name"),
        pytest.param("secrets", [], id="unlisted-never-found"),
        pytest.param("2029", [], id="ended-never-found"),
        pytest.param("without", [], id="no-moc-never-found"),
        pytest.param("patient safety", ["A", "E"], id="credit-type-name"),
        pytest.param(
            "medical knowledge",
            ["A", "B", "D", "G", "H", "I", "J", "M", "N"],
            id="credit-type-name-every-board",
        ),
        pytest.param("ABP", ["C", "D"], id="board-code"),
        pytest.param("american board of surgery", ["F"], id="board-name"),
        pytest.param("moca", ["E", "I", "K"], id="board-programme"),
        pytest.param("opioid prescribing", ["E"], id="topic-alias"),
        pytest.param("chf", ["B"], id="synonym-abbreviation"),
        pytest.param("peds", ["C", "D"], id="synonym-short-form"),
        pytest.param("anaesthesia", ["E", "I", "K"], id="synonym-uk-spelling-or-typo"),
        pytest.param("heartfailure", ["B"], id="split-into-two-words"),
        pytest.param("pediatric cardio", ["D"], id="n-gram-or-words"),
        pytest.param("ethics", ["G"], id="topic-word"),
        pytest.param("respiratory system", ["I"], id="content-outline-area"),
    ],
)
def test_contract_text(search: Search, q: str, expected: list[str]) -> None:
    result = search(q=q, per_page=100)
    assert sorted(search.keys(q=q, per_page=100)) == expected
    assert result.total == len(expected)


def test_contract_text_counts_and_field_weights(search: Search) -> None:
    result = search(q="cardiology")
    assert counts(result, "board") == [("ABIM", 4, False), ("ABP", 1, False)]
    # B matches only through a practice area, the others through their titles.
    assert search_key(result.hits[-1]) == "B"
    assert counts(search(q="cardiology", board="ABP"), "board") == [
        ("ABIM", 4, False), ("ABP", 1, True),
    ]  # fmt: skip


def test_contract_exact_title_first(search: Search) -> None:
    assert search.keys(q="sleep medicine")[0] == "N"
    assert sorted(search.keys(q="sleep medicine")) == ["I", "M", "N"]


def test_contract_highlight_escapes_html(search: Search) -> None:
    (hit,) = search(q="tricks").hits
    assert hit["highlight"] == {
        "title": "Tips &amp; &lt;b&gt;<mark>Tricks</mark>&lt;/b&gt; in Sleep"
    }
    assert hit["title"] == "Tips & <b>Tricks</b> in Sleep"


def test_contract_hit_shape(search: Search) -> None:
    (hit,) = search(q="anesthesia patient", near="60601", radius_mi="10").hits
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


def test_contract_hidden_never_counted(search: Search) -> None:
    result = search(q="cardiology", per_page=100)
    assert not {search_key(h) for h in result.hits} & HIDDEN
    assert sum(c for _, c, _ in counts(result, "provider")) == result.total == 4


def test_contract_topic_and_content_outline_facets(search: Search) -> None:
    result = search(topic="medical_ethics")
    assert counts(result, "topic") == [
        ("controlled_substances", 1, False), ("medical_ethics", 1, True),
        ("pain_management", 1, False), ("risk_management", 1, False),
    ]  # fmt: skip
    assert counts(result, "content_outline") == []
    outlines = counts(search(), "content_outline")
    assert outlines == [
        ("ABA:Clinical Subspecialties", 1, False), ("ABA:Regional Anesthesia", 1, False),
        ("ABA:Respiratory System", 1, False),
        ("ABA:Special Problems or Issues in Anesthesiology", 1, False),
    ]  # fmt: skip
    labels = {v.value: v.label for v in search().facets["topic"]}
    assert labels["controlled_substances"] == "Controlled substances and opioid prescribing"
