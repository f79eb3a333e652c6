"""parse_search: every public search parameter, and every way to get one wrong."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.errors import InvalidQuery
from indexer.query import SearchQuery, SearchResult, parse, parse_search
from indexer.vocabulary import FACET_GROUPS


def errors(**params: str | list[str]) -> list[tuple[str, str]]:
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    with pytest.raises(InvalidQuery) as caught:
        parse_search(as_lists)
    return [(e.field, e.message) for e in caught.value.errors]


def query(**params: str | list[str]) -> SearchQuery:
    return parse_search({k: v if isinstance(v, list) else [v] for k, v in params.items()})


def test_parse_search_defaults() -> None:
    q = query()
    assert (q.sort, q.page, q.per_page, q.radius_mi, q.facets) == (
        "date",
        1,
        20,
        50.0,
        FACET_GROUPS,
    )
    assert query(q="heart").sort == "relevance"


def test_parse_search_every_parameter() -> None:
    q = query(
        q=" heart ", board=["ABIM", "ABP", "ABIM"], credit_type="ABIM:MK",
        practice_area="ABIM:Cardiovascular Disease", specialty="pediatrics",
        activity_type="course", format="online", state="NY", country="US", provider="acme",
        registration="limited", fee=["free", "yes"], date_from="2030-01-01",
        date_to="2030-02-01", near="10001", radius_mi="25", min_points="2.5", sort="distance",
        page="3", per_page="50", facets=["board", "fee"],
    )  # fmt: skip
    assert q.q == "heart"
    assert q.selected("board") == ("ABIM", "ABP")
    assert (q.selected("credit_type"), q.selected("practice_area")) == (
        ("ABIM:MK",),
        ("ABIM:Cardiovascular Disease",),
    )
    assert (q.selected("registration"), q.selected("fee")) == (("limited",), ("free", "yes"))
    assert (q.date_from, q.date_to) == (date(2030, 1, 1), date(2030, 2, 1))
    assert q.point == pytest.approx((40.7484, -73.9967))
    assert (q.radius_mi, q.minimum("min_points"), q.sort, q.page, q.per_page) == (
        25,
        2.5,
        "distance",
        3,
        50,
    )
    assert q.facets == ("board", "fee")
    assert q.offset == 100


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"board": "ABX"}, [("board", "unknown value 'ABX'")], id="unknown-board"),
        pytest.param({"credit_type": "MK"},
                     [("credit_type", "unknown value 'MK': give it with its board, as BOARD:MK "
                                      "(ABIM:MK)")], id="bare-code"),
        pytest.param({"credit_type": "ABP:MK"},
                     [("credit_type", "unknown value 'ABP:MK'; ABP has ABP:LLSA")],
                     id="wrong-board"),
        pytest.param({"state": "XX"}, [("state", "unknown value 'XX'")], id="state"),
        pytest.param({"fee": "maybe"}, [("fee", "unknown value 'maybe'")], id="fee"),
        pytest.param({"registration": "closed"}, [("registration", "must be open or limited")],
                     id="registration"),
        pytest.param({"date_from": "2030-02-30"},
                     [("date_from", "2030-02-30 is not a day: February 2030 has 28 days")],
                     id="no-such-day"),
        pytest.param({"date_from": "abc"},
                     [("date_from", "must be an ISO date (YYYY-MM-DD)")], id="bad-date"),
        pytest.param({"date_from": "2030-02-02", "date_to": "2030-02-01"},
                     [("date_to", "must be on or after date_from")], id="date-order"),
        pytest.param({"per_page": "101"}, [("per_page", "must be a whole number from 1 to 100")],
                     id="per-page"),
        pytest.param({"page": "0"}, [("page", "pages are numbered from 1")], id="page-zero"),
        pytest.param({"page": "101", "per_page": "100"},
                     [("page", "results past the 10,000th are not paged: with per_page=100 the "
                               "last page is 100; narrow the search or use the export")],
                     id="too-deep"),
        pytest.param({"sort": "distance"}, [("sort", "sort=distance needs near")],
                     id="distance-without-near"),
        pytest.param({"sort": "price"},
                     [("sort", "must be one of: relevance, date, -date, end, points, distance, "
                               "title")],
                     id="sort"),
        pytest.param({"near": "99999"}, [("near", "must be a known US ZIP code or 'lat,lng'")],
                     id="unknown-zip"),
        pytest.param({"near": "10001", "radius_mi": "501"},
                     [("radius_mi", "must be a number from 0.1 to 500")], id="radius"),
        pytest.param({"min_points": "x"}, [("min_points", "must be a number from 0.25 to 1000")],
                     id="min-points"),
        pytest.param({"q": "x" * 201}, [("q", "must be at most 200 characters")], id="long-q"),
        pytest.param({"facets": "colour"}, [("facets", "unknown value 'colour'")], id="facets"),
        pytest.param({"colour": "red"}, [("colour", "unknown parameter")], id="unknown-param"),
        pytest.param({"q": ["a", "b"]}, [("q", "give this parameter once")], id="q-twice"),
        pytest.param({"provider": "a b"}, [("provider", "unknown value 'a b'")], id="provider"),
    ],
)  # fmt: skip
def test_parse_search_errors_name_the_parameter(
    params: dict[str, str | list[str]], expected: list[tuple[str, str]]
) -> None:
    assert errors(**params) == expected


def test_parse_search_reports_every_problem_at_once() -> None:
    assert [f for f, _ in errors(board="X", per_page="0", sort="nope")] == [
        "per_page", "sort", "board",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"board": "abim"}, ("board", ("ABIM",)), id="board"),
        pytest.param({"state": "pa"}, ("state", ("PA",)), id="state"),
        pytest.param({"credit_type": "abim:mk"}, ("credit_type", ("ABIM:MK",)), id="credit-type"),
        pytest.param({"format": "ONLINE"}, ("format", ("online",)), id="format"),
        pytest.param({"registration": "Limited"}, ("registration", ("limited",)), id="choice"),
    ],
)
def test_codes_are_accepted_whatever_their_case(
    params: dict[str, str], expected: tuple[str, tuple[str, ...]]
) -> None:
    name, codes = expected
    assert query(**params).selected(name) == codes


def test_a_code_in_another_case_is_kept_as_the_code() -> None:
    parsed = parse({"board": ["abim", "ABP"], "state": ["pa"]})
    assert parsed.problems == ()
    assert parsed.kept == {"board": ["ABIM", "ABP"], "state": ["PA"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"credit_type": "LL"},
                     "unknown value 'LL': give it with its board, as BOARD:LL "
                     "(ABA:LL, ABPATH:LL, ABOHNS:LL, ABO:LL)", id="code-of-several-boards"),
        pytest.param({"practice_area": "Nephrology"},
                     "unknown value 'Nephrology': give it with its board, as "
                     "BOARD:Nephrology (ABIM:Nephrology)", id="practice-area"),
        pytest.param({"board": "ABMI"}, "unknown value 'ABMI'; did you mean 'ABIM'?",
                     id="misspelt"),
        pytest.param({"state": "Pennsylvania"},
                     "unknown value 'Pennsylvania'; did you mean 'PA'?", id="state-by-name"),
    ],
)  # fmt: skip
def test_unknown_codes_say_what_was_meant(params: dict[str, str], expected: str) -> None:
    assert errors(**params) == [(next(iter(params)), expected)]


def test_the_last_page_stops_at_the_paging_depth() -> None:
    assert query(page="500").page == 500  # results 9,981 to 10,000
    assert query(page="334", per_page="30").page == 334  # starts at result 9,991
    assert [f for f, _ in errors(page="335", per_page="30")] == ["page"]


@pytest.mark.parametrize(
    ("total", "per_page", "pages", "deeper"),
    [
        pytest.param(37_170, 20, 500, True, id="past-the-depth"),
        pytest.param(10_000, 20, 500, False, id="exactly-the-depth"),
        pytest.param(10_025, 30, 334, True, id="last-page-straddles-the-depth"),
        pytest.param(45, 20, 3, False, id="small"),
        pytest.param(0, 20, 0, False, id="nothing"),
    ],
)
def test_pages_count_only_the_pages_that_can_be_fetched(
    total: int, per_page: int, pages: int, deeper: bool
) -> None:
    result = SearchResult(hits=[], total=total, page=1, per_page=per_page)
    assert (result.total, result.pages, result.deeper_than_paging) == (total, pages, deeper)
