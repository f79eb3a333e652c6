"""The search vocabulary drives the parser, the documents, both engines and the API docs.

Adding a keyword filter is a vocabulary entry, its catalog field and its document field: the
checks below fail when a filter is declared but one of the places derived from the
vocabulary does not carry it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from catalog.errors import FieldError
from catalog.reference import reference
from catalog.rules import parse_activity
from catalog.schemas import ActivityOut, ProviderRef
from indexer.documents import to_document
from indexer.engines.meilisearch import meili_document
from indexer.engines.meilisearch_settings import index_settings
from indexer.engines.tantivy_schema import build_schema, to_tantivy
from indexer.query import MAX_FILTER_VALUES, FacetCount, SearchQuery, facet_plan, parse
from indexer.vocabulary import BY_NAME, FACET_FIELDS, FILTERS, KEYWORD_FIELDS, MINIMUMS, PARAMS
from tests.contract.catalog_fixture import FIXTURE

BOARDS = ["ABA", "ABIM", "ABP"]


def sample_document() -> dict[str, object]:
    provider, record = FIXTURE[0]
    now = datetime(2030, 1, 1, tzinfo=UTC)
    activity = ActivityOut(
        **parse_activity(record).model_dump(), id="a1", provider=ProviderRef(id=provider, name="P"),
        created_at=now, updated_at=now,
    )  # fmt: skip
    return to_document(activity)


def test_every_filter_and_minimum_reads_a_document_field() -> None:
    document = sample_document()
    assert {p.field for p in (*FILTERS, *MINIMUMS)} <= set(document)


def test_both_engines_index_every_filter_field() -> None:
    document = sample_document()
    schema = build_schema(BOARDS)
    to_tantivy(document, BOARDS, schema)  # raises on a field the schema lacks
    filterable = index_settings(BOARDS, (1, 21, 0))["filterableAttributes"]
    assert set(KEYWORD_FIELDS) == set(filterable[0]["attributePatterns"])
    assert set(FACET_FIELDS.values()) < set(KEYWORD_FIELDS)
    assert {p.field for p in MINIMUMS} <= set(filterable[1]["attributePatterns"])
    assert set(FACET_FIELDS.values()) & set(meili_document(document))


def test_parameter_names_are_unique_and_documented() -> None:
    assert len(BY_NAME) == len(PARAMS)
    assert all(p.description and p.example for p in PARAMS)
    assert all(p.title for p in PARAMS if p.facet)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (SearchQuery(q="heart", sort="relevance"), "relevance"),
        (SearchQuery(q=None, sort="relevance"), "date"),
        (SearchQuery(q="!!!", sort="relevance"), "date"),
        (SearchQuery(sort="distance"), "date"),
        (SearchQuery(q="heart", sort="distance"), "relevance"),
        (SearchQuery(sort="distance", point=(40.0, -75.0)), "distance"),
        (SearchQuery(q="heart", sort="-date"), "-date"),
    ],
)
def test_effective_sort_falls_back_once_for_every_engine(query: SearchQuery, expected: str) -> None:
    assert query.effective_sort == expected


def test_the_facet_plan_counts_each_selected_group_without_its_own_filter() -> None:
    query = SearchQuery.of(board=("ABIM",), fee=("free",), facets=("board", "fee", "format"))
    assert facet_plan(query) == [
        FacetCount(("format",)),
        FacetCount(("board",), "board"),
        FacetCount(("fee",), "fee"),
    ]
    assert facet_plan(SearchQuery.of(facets=())) == []


def test_without_drops_one_value_or_one_parameter_and_goes_back_to_page_1() -> None:
    query = SearchQuery.of(
        q="heart", board=("ABIM", "ABP"), registration="open", min_points=2.0, page=3,
        date_from=date(2030, 1, 1), near="10001", point=(40.7, -74.0),
    )  # fmt: skip
    assert query.without("board", "ABP").selected("board") == ("ABIM",)
    assert query.without("board", "ABP").page == 1
    assert query.without("board").selected("board") == ()
    assert query.without("registration", "open").filters.keys() == {"board"}
    assert query.without("min_points").minimums == {}
    assert query.without("near").point is None
    assert query.without("q").q is None
    assert query.without("date_from").date_from is None
    with pytest.raises(ValueError, match="not a filter"):
        query.without("page")


def test_parse_keeps_the_valid_values_and_names_the_bad_one() -> None:
    parsed = parse({"board": ["X'Y", "ABIM"], "fee": ["free"], "colour": ["red"]})
    assert parsed.query.selected("board") == ("ABIM",)
    assert parsed.kept == {"board": ["ABIM"], "fee": ["free"]}
    assert parsed.problems == (
        FieldError("colour", "unknown parameter"),
        FieldError("board", 'unknown value "X\'Y"', "X'Y"),
    )


def test_filter_values_are_bounded_across_parameters() -> None:
    ref = reference()
    states = list(ref.us_states)[:50]
    countries = [c for c in ref.countries if c != "US"][:11]
    parsed = parse({"state": states, "country": countries})
    assert len(states) + len(countries) == MAX_FILTER_VALUES + 1
    assert parsed.query.selected("state") == tuple(states)
    assert parsed.query.selected("country") == tuple(countries[:10])
    limit = f"at most {MAX_FILTER_VALUES} filter values in all"
    assert parsed.problems == (FieldError("country", limit, countries[10]),)
    assert parsed.kept["country"] == countries[:10]
