"""What the search page's script asks for, the help page, the favicon and paging past 10,000.

In process, on the contract catalog (13 public activities; tests/web/catalog_site.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from catalog.reference import reference
from indexer.query import SearchResult
from tests.contract.catalog_fixture import id_of
from tests.web.catalog_site import build_site
from tests.web.test_pages import get_page, heading_count, keys, parse_html, problems
from web.pages import pagination


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings: Settings = build_site(tmp_path_factory.mktemp("parts"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "query", ["", "q=cardiology", "board=ABIM&fee=free", "board=ABS&format=in_person"]
)
def test_the_results_part_is_what_the_page_shows(client: TestClient, query: str) -> None:
    """The script swaps in parts rendered by the page's own templates: no logic in JS."""
    page = get_page(client, f"/?{query}")
    response = client.get(f"/search/results?{query}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    results = parse_html(body["results"])
    assert keys(results) == keys(page)
    assert heading_count(results) == heading_count(page) == body["status"]
    filters = parse_html(body["filters"])
    ids = [n.attrs["id"] for n in filters.find_all("input") if "id" in n.attrs]
    assert ids == [n.attrs["id"] for n in page.find("aside").find_all("input") if "id" in n.attrs]
    assert body["url"] == "/?" + query if query else body["url"] == "/?"
    assert body["title"] == page.find("title").text()


def test_the_results_part_drops_empty_fields_and_bad_values_from_the_url(
    client: TestClient,
) -> None:
    body = client.get("/search/results?q=sleep&board=XYZ&date_from=&sort=").json()
    assert body["url"] == "/?q=sleep"
    assert problems(parse_html(body["results"])) == {
        "board": "Board: “XYZ” is not one of the choices, so it was left out."
    }


def test_the_count_is_what_apply_would_show(client: TestClient) -> None:
    body = client.get("/search/count?board=ABP").json()
    assert body == {"total": 2, "label": "Show 2 activities"}
    assert client.get("/search/count?board=ABP&board=ABS").json()["total"] == 3


@pytest.mark.parametrize(
    ("query", "field", "text"),
    [
        pytest.param("date_from=2027-02-30", "date_from",
                     "From date: 2027-02-30 is not a day: February 2027 has 28 days.",
                     id="no-such-day"),
        pytest.param("page=0", "page", "Pages are numbered from 1; here is the first.",
                     id="page-zero"),
        pytest.param("page=600", "page",
                     "Only the first 10,000 results can be paged through, so page 600 is not "
                     "shown; narrow the search, or download every result as CSV.", id="too-deep"),
        pytest.param("page=9", "page", "There is 1 page of results; here is the last.",
                     id="past-the-last"),
        pytest.param("min_points=-3", "min_points",
                     "MOC points: must be a number from 0.25 to 1000.", id="number"),
        pytest.param("colour=red", "colour",
                     "The address holds “colour”, which this page does not use; it was left out.",
                     id="unknown-parameter"),
    ],
)  # fmt: skip
def test_page_problems_are_plain_words(
    client: TestClient, query: str, field: str, text: str
) -> None:
    doc = get_page(client, f"/?{query}")
    assert problems(doc) == {field: text}
    assert heading_count(doc) == "13 activities"


def test_pagination_never_links_past_the_pages_that_can_be_fetched() -> None:
    result = SearchResult(hits=[], total=37_170, page=499, per_page=20)
    links = pagination({"board": ["ABIM"]}, result)
    assert [link.number for link in links] == [1, 497, 498, 499, 500]
    assert links[-1].href == "/?board=ABIM&page=500"


def test_help_page_explains_moc_credit_from_the_reference_data(client: TestClient) -> None:
    doc = get_page(client, "/about/moc-credit")
    assert doc.find("h1").text() == "About MOC credit"
    for anchor in ("points", "credit-types", "practice-areas", "limited", "boards"):
        assert doc.find(id=anchor)
    rows = {r.find("th").text(): r for r in doc.find("table").find("tbody").find_all("tr")}
    ref = reference()
    assert set(rows) == {b.display_code for b in ref.boards.values()}
    for board in ref.boards.values():
        text = rows[board.display_code].text()
        assert board.name in text
        assert board.program in text
        assert all(c.label in text for c in board.credit_types)
    assert {"ABOHNS", "ABPMR"} <= set(rows)


def test_facets_and_the_activity_page_link_the_help(client: TestClient) -> None:
    doc = get_page(client, "/")
    links = {
        group: doc.find("fieldset", id=f"facet-{group}").find("a").attrs["href"]
        for group in ("board", "credit_type", "practice_area", "registration")
    }
    assert links == {
        "board": "/about/moc-credit#boards",
        "credit_type": "/about/moc-credit#credit-types",
        "practice_area": "/about/moc-credit#practice-areas",
        "registration": "/about/moc-credit#limited",
    }
    activity = get_page(client, f"/activities/{id_of('B')}")  # limited registration
    hrefs = {a.attrs["href"] for a in activity.find_all("a") if "href" in a.attrs}
    assert {"/about/moc-credit", "/about/moc-credit#limited"} <= hrefs


def test_favicon(client: TestClient) -> None:
    doc = get_page(client, "/")
    icon = doc.find("link", rel="icon")
    response = client.get(icon.attrs["href"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert client.get("/favicon.ico").status_code == 200  # redirected to the SVG
