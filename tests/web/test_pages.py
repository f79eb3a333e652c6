"""The physicians' pages through the real app, SQLite catalog and tantivy index, in process.

HTML is parsed with the standard library's html.parser into a small tree, so assertions are
about elements and their text rather than about substrings of markup. The catalog is the
contract fixture (see tests/web/catalog_site.py): 13 public activities A-N, X unlisted, Y
ended, Z without MOC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.settings import Settings
from catalog.db import make_engine
from catalog.reference import reference
from catalog.schemas import ActivityOut
from catalog.service import get_public_activity
from indexer.engines.meilisearch import MeilisearchEngine
from indexer.query import MAX_FILTER_VALUES
from tests.builders import ENGINES, on_engine
from tests.contract.catalog_fixture import FIXTURE, id_of, key_of
from tests.web.catalog_site import HIDDEN, HTML_TITLE, PUBLIC, build_site
from web.pages import LIMITED_NOTE, MAX_SUGGESTIONS, card
from web.statements import ics

ATOM = "{http://www.w3.org/2005/Atom}"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
ACME = "ACME Medical Education"
KIDS = "Kids Hospital CME"
GAS = "Anesthesia Educators Society"
CUTS = "Surgical Learning Network"
ABIM = "American Board of Internal Medicine"
ABA = "American Board of Anesthesiology"
ABP = "American Board of Pediatrics"
ABS = "American Board of Surgery"
MK = "Medical Knowledge"
LLSA = "Lifelong Learning and Self-Assessment"
LL = "Lifelong Learning (CME)"


def statement_wording(board: str) -> str:
    rule = reference().boards[board].statement
    assert rule is not None
    return rule.template.text


ABIM_STATEMENT = statement_wording("ABIM")
ABP_STATEMENT = statement_wording("ABP")


# -- a small HTML tree ------------------------------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        """This element and every descendant element, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text() for c in self.children)

    def text(self) -> str:
        """The text content with whitespace collapsed, as a reader sees it."""
        return " ".join(self.raw_text().split())

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(
        self, tag: str | None = None, *, cls: str | None = None, **attrs: str
    ) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, cls=cls, **attrs)
        assert found, f"no <{tag} class={cls} {attrs}>"
        return found[0]


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        opened = [n.tag for n in self.stack]
        assert tag in opened, f"</{tag}> closes nothing"
        while self.stack.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(markup: str) -> Node:
    builder = TreeBuilder()
    builder.feed(markup)
    builder.close()
    assert [n.tag for n in builder.stack] == ["#document"], "unclosed elements"
    return builder.root


# -- the app ----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=ENGINES)
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The site served by each engine: every page test runs on both."""
    return on_engine(build_site(tmp_path_factory.mktemp("pages")), request.param, request)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def get_page(client: TestClient, url: str, status: int = 200) -> Node:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return parse_html(response.text)


def heading_count(doc: Node) -> str:
    return doc.find("h1", id="results-heading").text()


def dl_facts(dl: Node) -> dict[str, str]:
    return {div.find("dt").text(): div.find("dd").text() for div in dl.find_all("div")}


@dataclass
class CardView:
    key: str
    title: str
    title_href: str
    provider: str
    provider_href: str
    facts: dict[str, str]
    boards: list[str]
    limited: str | None


def cards(doc: Node) -> list[CardView]:
    found = []
    for article in doc.find_all("article", cls="card"):
        link = article.find("h2").find("a")
        provider = article.find("p", cls="provider").find("a")
        limited = article.find_all("p", cls="limited")
        found.append(
            CardView(
                key=key_of(link.attrs["href"].removeprefix("/activities/")),
                title=link.text(),
                title_href=link.attrs["href"],
                provider=provider.text(),
                provider_href=provider.attrs["href"],
                facts=dl_facts(article.find("dl", cls="facts")),
                boards=[li.text() for li in article.find("ul", cls="boards").find_all("li")],
                limited=limited[0].text() if limited else None,
            )
        )
    return found


def keys(doc: Node) -> list[str]:
    return [c.key for c in cards(doc)]


def checked(doc: Node, input_id: str) -> bool:
    return "checked" in doc.find("input", id=input_id).attrs


def link_by_text(doc: Node, text: str) -> Node:
    found = [a for a in doc.find_all("a") if a.text() == text]
    assert len(found) == 1, f"{len(found)} links named {text!r}"
    return found[0]


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


# -- the search page: results -----------------------------------------------------------------

CREDITS = "AMA PRA Category 1 Credits™"
CARDS = {
    "A": ("Cardiology Update 2030", ACME, "Mar 1 – Mar 3, 2030", "Philadelphia, PA", "10", "Paid",
          [f"ABIM 10 MOC points · {MK}, Patient Safety"]),
    "B": ("Heart Failure Masterclass", ACME, "Feb 10 – Feb 11, 2030", "New York, NY and online",
          "8", "Variable fee", [f"ABIM 8 MOC points · {MK}"]),
    "C": ("Pediatric Asthma Review", KIDS, "Jun 1, 2029 – May 1, 2031", "Online", "2", "Free",
          [f"ABP 2 MOC points · {LLSA}"]),
    "D": ("Pediatric Cardiology Grand Rounds", KIDS, "Jan 1 – Dec 31, 2030", "Boston, MA", "40",
          "Free", [f"ABP 40 MOC points · {LLSA}", f"ABIM 40 MOC points · {MK}"]),
    "E": ("Anesthesia Patient Safety Course", GAS, "Apr 10 – Apr 12, 2030", "Chicago, IL", "12",
          "Paid", [f"ABA 12 MOCA credits · Patient Safety, {LL}"]),
    "F": ("Surgical Skills Podcast", CUTS, "Jan 1, 2030 – Jan 1, 2031", "Online", "1", "Free",
          ["ABS 1 credit · Accredited CME"]),
    "G": ("Nephrology Board Review", ACME, "May 1 – May 5, 2030", "Online", "30", "Paid",
          [f"ABIM 30 MOC points · {MK}"]),
    "H": ("Cardiology Journal Club", ACME, "Jan 20 – Dec 20, 2030", "Online", "1", "Free",
          [f"ABIM 1 MOC point · {MK}"]),
    "I": ("Sleep Medicine Essentials", GAS, "Jan 5 – Jun 30, 2030", "Online", "3", "Variable fee",
          [f"ABA 3 MOCA credits · {LL}", f"ABIM 3 MOC points · {MK}"]),
    "J": ("Hospital Medicine Update", ACME, "Jun 15 – Jun 16, 2030", "Newark, NJ", "6", "Paid",
          [f"ABIM 6 MOC points · {MK}"]),
    "K": ("Critical Care Symposium", GAS, "Sep 9 – Sep 11, 2030", "Los Angeles, CA", "7", "Paid",
          ["ABIM 7 MOC points · Practice Assessment", f"ABA 7 MOCA credits · {LL}"]),
    "M": (HTML_TITLE, ACME, "Feb 1 – Aug 1, 2030", "Online", "2", "Free",
          [f"ABIM 2 MOC points · {MK}"]),
    "N": ("Sleep Medicine", ACME, "Mar 1 – Sep 1, 2030", "Online", "1", "Free",
          [f"ABIM 1 MOC point · {MK}"]),
}  # fmt: skip
PROVIDER_IDS = {ACME: "acme", KIDS: "kids", GAS: "gas", CUTS: "cuts"}


def test_search_page_shows_the_count_and_every_public_activity(client: TestClient) -> None:
    doc = get_page(client, "/")
    assert heading_count(doc) == "13 activities"
    assert sorted(keys(doc)) == sorted(PUBLIC)
    assert doc.find("title").text() == "Find MOC activities – MOC Catalog"


@pytest.mark.parametrize("key", sorted(CARDS))
def test_each_card_shows_what_a_physician_compares(client: TestClient, key: str) -> None:
    title, provider, dates, where, credits, fee, boards = CARDS[key]
    card = next(c for c in cards(get_page(client, "/")) if c.key == key)
    assert card.title == title
    assert card.title_href == f"/activities/{id_of(key)}"
    assert (card.provider, card.provider_href) == (provider, f"/providers/{PROVIDER_IDS[provider]}")
    unit = "Credit™" if credits == "1" else "Credits™"
    assert card.facts == {
        "Dates": dates,
        "Where": where,
        "Credits": f"{credits} AMA PRA Category 1 {unit}",
        "Fee": fee,
    }
    assert card.boards == boards


def test_limited_registration_is_explained_on_limited_cards_only(client: TestClient) -> None:
    found = cards(get_page(client, "/"))
    assert {c.key for c in found if c.limited} == {"B", "E", "I"}
    for c in found:
        if c.limited:
            assert c.limited == f"Registration limited. {LIMITED_NOTE}"


def test_ticking_a_board_narrows_results_and_stays_checked(client: TestClient) -> None:
    doc = get_page(client, "/?board=ABP")
    assert heading_count(doc) == "2 activities"
    assert sorted(keys(doc)) == ["C", "D"]
    assert checked(doc, "f-board-abp")
    assert not any(checked(doc, f"f-board-{b}") for b in ("abim", "aba"))
    chip = doc.find("ul", cls="chips").find("a")
    assert chip.text() == f"{ABP} ×"
    assert chip.attrs["aria-label"] == f"Remove filter {ABP}"
    assert keys(get_page(client, chip.attrs["href"])) == keys(get_page(client, "/"))


def test_values_of_one_facet_are_alternatives(client: TestClient) -> None:
    doc = get_page(client, "/?board=ABP&board=ABS")
    assert sorted(keys(doc)) == ["C", "D", "F"]
    assert checked(doc, "f-board-abp")
    assert checked(doc, "f-board-abs")
    assert not checked(doc, "f-board-abim")


def test_the_registration_facet_is_a_radio_group_with_any(client: TestClient) -> None:
    doc = get_page(client, "/?registration=limited")
    assert sorted(keys(doc)) == ["B", "E", "I"]
    radios = doc.find("fieldset", id="facet-registration").find_all("input")
    assert {r.attrs["type"] for r in radios} == {"radio"}
    assert [(r.attrs["value"], "checked" in r.attrs) for r in radios] == [
        ("", False), ("open", False), ("limited", True),
    ]  # fmt: skip


def option_rows(fieldset: Node) -> dict[str, set[tuple[str, str, int]]]:
    """(value, label, count) of each option, under the board subheading it follows."""
    rows: dict[str, set[tuple[str, str, int]]] = {}
    heading = ""
    for node in fieldset.iter():
        if node.tag == "p" and "subhead" in node.classes:
            heading = node.text()
        elif node.tag == "div" and "option" in node.classes:
            box, label = node.find("input"), node.find("label")
            assert label.attrs["for"] == box.attrs["id"]
            count = label.find("span", cls="count").text()
            name = label.text().removesuffix(count).strip()
            rows.setdefault(heading, set()).add((box.attrs["value"], name, int(count)))
    return rows


def test_credit_types_and_practice_areas_are_grouped_under_their_board(
    client: TestClient,
) -> None:
    doc = get_page(client, "/")
    assert option_rows(doc.find("fieldset", id="facet-credit_type")) == {
        ABIM: {("ABIM:MK", MK, 9), ("ABIM:PS", "Patient Safety", 1),
               ("ABIM:PA", "Practice Assessment", 1)},
        ABA: {("ABA:LL", LL, 3), ("ABA:PS", "Patient Safety", 1)},
        ABP: {("ABP:LLSA", LLSA, 2)},
        ABS: {("ABS:CME", "Accredited CME", 1)},
    }  # fmt: skip
    areas = option_rows(doc.find("fieldset", id="facet-practice_area"))
    assert ("ABIM:Sleep Medicine", "Sleep Medicine", 2) in areas[ABIM]
    assert ("ABA:Sleep Medicine", "Sleep Medicine", 1) in areas[ABA]
    assert set(areas) == {ABIM, ABA, ABP, ABS}


def test_every_form_control_has_a_label_and_ids_are_unique(client: TestClient) -> None:
    for url in ("/", "/?q=sleep&board=ABIM", "/?board=ABS&format=in_person"):
        doc = get_page(client, url)
        ids = [n.attrs["id"] for n in doc.iter() if "id" in n.attrs]
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        labelled = {label.attrs.get("for") for label in doc.find_all("label")}
        for control in [*doc.find_all("input"), *doc.find_all("select")]:
            assert control.attrs["id"] in labelled, control.attrs


def test_no_results_suggests_which_filter_to_drop_with_counts(client: TestClient) -> None:
    doc = get_page(client, "/?board=ABS&format=in_person")
    assert heading_count(doc) == "0 activities"
    assert cards(doc) == []
    empty = doc.find("div", cls="empty")
    assert empty.find("h2").text() == "No activities match all of these choices."
    suggestions = [(li.text(), li.find("a").attrs["href"]) for li in empty.find_all("li")]
    assert [text for text, _ in suggestions] == [
        f"Without “{ABS}” – 5 activities",
        "Without “In person” – 1 activity",
    ]
    assert query_of(suggestions[0][1]) == {"format": ["in_person"]}
    assert query_of(suggestions[1][1]) == {"board": ["ABS"]}
    assert heading_count(get_page(client, suggestions[0][1])) == "5 activities"
    assert keys(get_page(client, suggestions[1][1])) == ["F"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "board=ABP",
        "q=cardiology&sort=title",
        "board=ABIM&board=ABA&fee=free",
        "q=sleep&registration=open&sort=points",
        "per_page=5&page=2",
    ],
)
def test_this_search_as_json_is_the_same_query_on_the_api(client: TestClient, query: str) -> None:
    doc = get_page(client, f"/?{query}")
    href = link_by_text(doc, "This search as JSON").attrs["href"]
    assert urlsplit(href).path == "/api/v1/activities"
    # The page's default order is not the API's (issue 16): the link names it.
    page_default = {} if "sort=" in query or "q=" in query else {"sort": ["end"]}
    assert query_of(href) == parse_qs(query) | page_default
    body = client.get(href).json()
    assert [key_of(h["id"]) for h in body["hits"]] == keys(doc)
    assert (
        heading_count(doc)
        == f"{body['total']} {'activity' if body['total'] == 1 else 'activities'}"
    )


def test_links_on_the_page_carry_only_the_users_query(client: TestClient) -> None:
    doc = get_page(client, "/?board=ABP&board=ABIM")
    hrefs = [a.attrs["href"] for a in doc.find("ul", cls="chips").find_all("a")]
    assert [query_of(h) for h in hrefs] == [{"board": ["ABIM"]}, {"board": ["ABP"]}]
    feed = doc.find("link", rel="alternate", type="application/atom+xml")
    assert query_of(feed.attrs["href"]) == {"board": ["ABP", "ABIM"]}


def test_sort_is_applied_and_selected(client: TestClient) -> None:
    doc = get_page(client, "/?q=cardiology&sort=title")
    assert keys(doc) == ["H", "A", "B", "D"]
    select = doc.find("select", id="sort")
    chosen = [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs]
    assert chosen == ["title"]
    assert keys(get_page(client, "/?q=cardiology&sort=points")) == ["D", "A", "B", "H"]


def sort_options(doc: Node) -> list[tuple[str, str, bool]]:
    select = doc.find("select", id="sort")
    return [(o.attrs["value"], o.text(), "selected" in o.attrs) for o in select.find_all("option")]


def test_the_default_order_is_sent_empty_so_a_new_text_search_ranks_by_match(
    client: TestClient,
) -> None:
    # Without words the page opens ending soonest (issue 16: starting soonest led with
    # activities that started years ago); the API's default stays date.
    assert sort_options(get_page(client, "/"))[0] == ("", "Ending soonest", True)
    with_text = sort_options(get_page(client, "/?q=cardiology"))
    assert with_text[0] == ("", "Best match", True)
    assert ("date", "Starting soonest", False) in with_text
    # The form of "/" submitted with a new text: the empty sort means best match.
    doc = get_page(client, "/?q=cardiology&sort=&date_from=&radius_mi=50&registration=")
    assert (
        keys(doc)
        == keys(get_page(client, "/?q=cardiology&sort=relevance"))
        == BEST_MATCH[engine_of(client)]
    )


# Best match for "cardiology": B (a practice area only) last on both engines (the contract);
# among the title matches tantivy's BM25 favours the shorter field, Meilisearch the title that
# starts with the word.
BEST_MATCH = {"tantivy": list("DAHB"), "meilisearch": list("AHDB")}


def engine_of(client: TestClient) -> str:
    return str(client.app.state.settings.search_engine)  # type: ignore[attr-defined]


def test_pagination_links_keep_the_search(client: TestClient) -> None:
    doc = get_page(client, "/?board=ABIM&per_page=4&page=2")
    assert heading_count(doc) == "10 activities"
    nav = doc.find("nav", cls="pagination")
    assert nav.attrs["aria-label"] == "Result pages"
    current = nav.find("span", aria_current="page")
    assert current.text() == "2"
    links = {a.text(): query_of(a.attrs["href"]) for a in nav.find_all("a")}
    assert links == {
        "1": {"board": ["ABIM"], "per_page": ["4"], "page": ["1"]},
        "3": {"board": ["ABIM"], "per_page": ["4"], "page": ["3"]},
    }
    pages = [keys(get_page(client, f"/?board=ABIM&per_page=4&page={n}")) for n in (1, 2, 3)]
    assert len({k for page in pages for k in page}) == 10
    assert get_page(client, "/?board=ABIM").find_all("nav", cls="pagination") == []


# -- parameters that cannot be used -----------------------------------------------------------


def problems(doc: Node) -> dict[str, str]:
    """Each problem the page lists, by the parameter it is about (the words never name it)."""
    box = doc.find("div", cls="problems")
    assert box.attrs["role"] == "alert"
    return {li.attrs["data-field"]: li.text() for li in box.find_all("li")}


def test_bad_parameters_are_listed_and_the_rest_still_searches(client: TestClient) -> None:
    response = client.get("/?board=XYZ&near=99999&q=sleep")
    assert response.status_code == 200
    doc = parse_html(response.text)
    assert problems(doc) == {
        "board": "Board: “XYZ” is not one of the choices, so it was left out.",
        "near": "Near (ZIP code): we do not know the place “99999”; enter a 5-digit US ZIP code.",
    }
    assert sorted(keys(doc)) == sorted(keys(get_page(client, "/?q=sleep")))
    assert doc.find("input", id="q").attrs["value"] == "sleep"


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("board=XYZ", {"board"}),
        ("date_from=2030-13-45&sort=nonsense", {"date_from", "sort"}),
        ("min_points=-3&page=0&per_page=abc", {"min_points", "page", "per_page"}),
    ],
)
def test_each_bad_parameter_is_named(client: TestClient, query: str, fields: set[str]) -> None:
    doc = get_page(client, f"/?{query}")
    assert set(problems(doc)) == fields
    assert heading_count(doc) == "13 activities"


def test_a_good_search_shows_no_problem_box(client: TestClient) -> None:
    assert get_page(client, "/?board=ABP").find_all("div", cls="problems") == []


def test_a_bad_value_with_a_quote_drops_only_itself(client: TestClient) -> None:
    """repr() quotes X'Y with double quotes; the page once read the value back out of the
    message with a regular expression, missed, and dropped ABIM as well."""
    doc = get_page(client, "/?board=X%27Y&board=ABIM")
    assert problems(doc) == {"board": "Board: “X'Y” is not one of the choices, so it was left out."}
    assert checked(doc, "f-board-abim")
    assert heading_count(doc) == heading_count(get_page(client, "/?board=ABIM"))
    json_query = query_of(link_by_text(doc, "This search as JSON").attrs["href"])
    assert json_query == {"board": ["ABIM"], "sort": ["end"]}  # the page's default order


@pytest.fixture
def searches(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every query the app's engine runs during a test (a spy around the real engine)."""
    engine = client.app.state.search.engine  # type: ignore[attr-defined]
    calls: list[object] = []
    real = engine.search

    def spy(query: object, **kwargs: object) -> object:
        calls.append(query)
        return real(query, **kwargs)

    monkeypatch.setattr(engine, "search", spy)
    return calls


def test_a_page_with_results_runs_one_search(client: TestClient, searches: list[object]) -> None:
    get_page(client, "/?board=ABIM&board=ABP&fee=free&fee=yes&format=online")
    assert len(searches) == 1


def test_a_page_without_results_counts_a_few_alternatives_only(
    client: TestClient, searches: list[object]
) -> None:
    """Each "without this filter" count is a search: a page runs at most MAX_SUGGESTIONS."""
    areas = [f"ABP:{a}" for a in reference().boards["ABP"].practice_areas][:12]
    url = "/?" + urlencode(
        [("board", "ABS"), ("format", "in_person"), *(("practice_area", a) for a in areas)]
    )
    doc = get_page(client, url)
    assert heading_count(doc) == "0 activities"
    assert len(searches) == 1 + MAX_SUGGESTIONS
    suggestions = doc.find("div", cls="empty").find_all("li")
    assert len(suggestions) == MAX_SUGGESTIONS
    assert len(doc.find("ul", cls="chips").find_all("li")) == 14


def test_seventy_filter_values_without_results_stay_a_small_page(
    client: TestClient, searches: list[object]
) -> None:
    ref = reference()
    areas = [f"{b}:{a}" for b in ("ABP", "ABIM") for a in ref.boards[b].practice_areas][:40]
    states = list(ref.us_states)[:28]
    values = [("board", "ABS"), ("format", "in_person")]
    values += [("practice_area", a) for a in areas] + [("state", s) for s in states]
    assert len(values) == 70
    response = client.get("/?" + urlencode(values))
    assert response.status_code == 200
    assert len(response.content) < 300_000
    assert len(searches) == 1 + MAX_SUGGESTIONS
    doc = parse_html(response.text)
    assert problems(doc) == {"state": f"State: at most {MAX_FILTER_VALUES} filter values in all."}
    assert len(doc.find("ul", cls="chips").find_all("li")) == MAX_FILTER_VALUES


@pytest.mark.parametrize("path", ["/", "/providers/acme", "/feed.atom?board=ABIM"])
def test_a_search_engine_outage_is_the_sites_error_page(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """A real Meilisearch client aimed at a closed local port: connection refused."""
    down = MeilisearchEngine("http://127.0.0.1:9", None, timeout_s=2)
    monkeypatch.setattr(client.app.state.search, "engine", down)  # type: ignore[attr-defined]
    response = client.get(path)
    assert response.status_code == 503
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert parse_html(response.text).find("h1").text() == "Search is unavailable"


# -- text from providers is text --------------------------------------------------------------


def assert_shown_as_text(node: Node) -> None:
    assert node.text() == HTML_TITLE
    assert [n.tag for n in node.iter() if n.tag in ("b", "script")] == []


@pytest.mark.parametrize("url", ["/", "/?q=tricks", "/?q=sleep", "/providers/acme"])
def test_a_title_with_html_is_escaped_on_cards(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert "&lt;b&gt;" in response.text
    assert "<b>Tricks</b>" not in response.text
    doc = parse_html(response.text)
    card = next(
        a
        for a in doc.find_all("article", cls="card")
        if "t-" + id_of("M") in a.attrs["aria-labelledby"]
    )
    assert_shown_as_text(card.find("h2"))


def test_the_matched_word_is_highlighted_without_unescaping(client: TestClient) -> None:
    doc = get_page(client, "/?q=tricks")
    heading = doc.find("h2", id=f"t-{id_of('M')}")
    assert [m.text() for m in heading.find_all("mark")] == ["Tricks"]
    assert_shown_as_text(heading)


def test_a_title_with_html_is_escaped_on_its_page(client: TestClient) -> None:
    response = client.get(f"/activities/{id_of('M')}")
    assert "<b>" not in response.text
    doc = parse_html(response.text)
    assert_shown_as_text(doc.find("h1"))
    assert doc.find("title").text() == f"{HTML_TITLE} – MOC Catalog"
    assert json.loads(json_ld_text(doc))["name"] == HTML_TITLE


# -- the activity page ------------------------------------------------------------------------


def json_ld_text(doc: Node) -> str:
    scripts = doc.find_all("script", type="application/ld+json")
    assert len(scripts) == 1
    return scripts[0].raw_text()


def test_the_activity_page_shows_everything(client: TestClient) -> None:
    doc = get_page(client, f"/activities/{id_of('B')}")
    assert doc.find("title").text() == "Heart Failure Masterclass – MOC Catalog"
    assert doc.find("h1").text() == "Heart Failure Masterclass"
    provider = doc.find("p", cls="provider")
    assert provider.text() == f"By {ACME}"
    assert provider.find("a").attrs["href"] == "/providers/acme"
    assert dl_facts(doc.find("dl", cls="facts")) == {
        "Dates": "Feb 10 – Feb 11, 2030",
        "Type": "Course (live)",
        "Format": "In person and online",
        "Where": "New York, NY 10001, US",
        "Credits": "8 AMA PRA Category 1 Credits™",
        "Fee": "Variable fee",
        "Registration": "Limited",
        "Specialties": "Internal Medicine",
    }
    assert doc.find("p", cls="limited").text() == f"Registration limited. {LIMITED_NOTE}"
    register = link_by_text(doc, "Register with the provider")
    assert register.attrs["href"] == "https://example.org/B"
    assert "noopener" in register.attrs["rel"]
    board = doc.find("div", cls="board")
    assert board.find("h3").text() == f"{ABIM} (ABIM)"
    assert [p.text() for p in board.find_all("p")] == [
        f"8 MOC points · {MK}",
        "Practice areas: Advanced Heart Failure and Transplant Cardiology",
    ]
    moc = doc.find("section", aria_labelledby="moc")
    quotes = [(q.find("p").text(), q.find("footer").text()) for q in moc.find_all("blockquote")]
    assert quotes == [(ABIM_STATEMENT.format(points="8"), ABIM)]
    caption = moc.find("figcaption").text()
    assert caption.startswith("The board's wording, filled in from the provider's registration.")
    block = doc.find("section", aria_labelledby="accreditation")
    assert [p.text() for p in block.find_all("p")] == [
        "Generated by the catalog from the provider's accrediting body (Accreditation Council "
        "for Continuing Medical Education (ACCME)) and the activity's PARS record; the "
        "provider's own statements may be worded differently.",
        f"{ACME} is accredited by the Accreditation Council for Continuing Medical Education "
        "(ACCME) to provide continuing medical education for physicians.",
        f"{ACME} designates this live activity for a maximum of 8 AMA PRA Category 1 Credits™. "
        "Physicians should claim only the credit commensurate with the extent of their "
        "participation in the activity.",
        "No commercial support was reported for this activity.",
    ]


def test_the_activity_page_writes_one_statement_per_board(client: TestClient) -> None:
    doc = get_page(client, f"/activities/{id_of('D')}")
    facts = dl_facts(doc.find("dl", cls="facts"))
    assert facts["Type"] == "Regularly Scheduled Series"
    assert facts["Format"] == "In person"
    assert facts["Where"] == "Boston, MA 02115, US"
    assert facts["Registration"] == "Open to all"
    assert facts["Specialties"] == "Pediatrics"
    assert doc.find_all("p", cls="limited") == []
    boards = [b.find("h3").text() for b in doc.find_all("div", cls="board")]
    assert boards == [f"{ABP} (ABP)", f"{ABIM} (ABIM)"]
    quotes = {q.find("footer").text(): q.find("p").text() for q in doc.find_all("blockquote")}
    assert set(quotes) == {ABP, ABIM}
    # The ABP's own wording (issue 14), not a generic "points of ... credit" sentence.
    assert quotes[ABP] == ABP_STATEMENT.format(points="40")
    assert "up to 40 MOC points in the American Board of Pediatrics' (ABP)" in quotes[ABP]
    assert quotes[ABIM] == ABIM_STATEMENT.format(points="40")


def test_an_online_enduring_activity_has_no_place_and_no_calendar(client: TestClient) -> None:
    doc = get_page(client, f"/activities/{id_of('C')}")
    facts = dl_facts(doc.find("dl", cls="facts"))
    assert "Where" not in facts
    assert facts["Format"] == "Online"
    assert facts["Type"] == "Enduring Material"
    assert [a.text() for a in doc.find("p", cls="actions").find_all("a")] == [
        "Register with the provider"
    ]
    response = client.get(f"/activities/{id_of('C')}.ics")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("key", "kind"),
    [("A", "EducationEvent"), ("B", "EducationEvent"), ("D", "EducationEvent"),
     ("C", "Course"), ("M", "Course"), ("H", "Course")],
)  # fmt: skip
def test_schema_org_json_ld_is_valid(client: TestClient, key: str, kind: str) -> None:
    doc = get_page(client, f"/activities/{id_of(key)}")
    data = json.loads(json_ld_text(doc))
    record = next(r for _, r in FIXTURE if r["provider_activity_id"] == key)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == kind
    assert data["name"] == record["title"]
    assert data["url"] == f"http://testserver/activities/{id_of(key)}"
    assert data["provider"]["@type"] == "Organization"
    if kind == "EducationEvent":
        assert (data["startDate"], data["endDate"]) == (record["start_date"], record["end_date"])
        assert data["eventAttendanceMode"].startswith("https://schema.org/")
    else:
        assert "startDate" not in data
    if record.get("location"):
        assert data["location"]["address"]["postalCode"] == record["location"]["postal_code"]
    assert data.get("isAccessibleForFree", False) == (record["fee"] == "free")


def calendar_link(client: TestClient, key: str) -> str | None:
    doc = get_page(client, f"/activities/{id_of(key)}")
    found = [a.attrs["href"] for a in doc.find_all("a") if a.text() == "Add to calendar"]
    return found[0] if found else None


def test_add_to_calendar_only_for_dated_live_activities(client: TestClient) -> None:
    offered = {k for k in sorted(PUBLIC) if calendar_link(client, k)}
    assert offered == {"A", "B", "D", "E", "G", "J", "K"}  # the courses and the series


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [("D", "20300101", "20310101"), ("B", "20300210", "20300212"), ("A", "20300301", "20300304")],
)
def test_the_calendar_file(client: TestClient, key: str, start: str, end: str) -> None:
    href = calendar_link(client, key)
    assert href == f"/activities/{id_of(key)}.ics"
    response = client.get(href)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{id_of(key)}.ics"'
    body = response.content.decode()
    assert body.endswith("\r\n")
    assert "\n" not in body.replace("\r\n", "")
    lines = body.removesuffix("\r\n").split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert lines.count("BEGIN:VEVENT") == 1
    assert lines.count("END:VEVENT") == 1
    assert f"DTSTART;VALUE=DATE:{start}" in lines
    assert f"DTEND;VALUE=DATE:{end}" in lines
    assert f"UID:{id_of(key)}@moc-catalog" in lines
    assert f"URL:http://testserver/activities/{id_of(key)}" in lines
    record = next(r for _, r in FIXTURE if r["provider_activity_id"] == key)
    assert f"SUMMARY:{record['title']}" in lines


@pytest.fixture(scope="module")
def activity_b(settings: Settings) -> ActivityOut:
    db = make_engine(settings.catalog_url())
    with Session(db) as session:
        found = get_public_activity(session, id_of("B"), today=date.today())
    db.dispose()
    return found


def unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").removesuffix("\r\n").split("\r\n")


def test_calendar_text_is_escaped(activity_b: ActivityOut) -> None:
    titled = activity_b.model_copy(update={"title": "Heart; Lungs, and\\or\nKidneys"})
    body = ics(titled, page_url="https://x.test/a", now=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    lines = unfold(body)
    assert "SUMMARY:Heart\\; Lungs\\, and\\\\or\\nKidneys" in lines
    assert "LOCATION:New York\\, NY\\, US" in lines
    assert "DTSTAMP:20300102T030405Z" in lines


BREAKS = {
    "cr": "\r", "lf": "\n", "crlf": "\r\n", "vt": "\x0b", "ff": "\x0c", "fs": "\x1c",
    "nel": "\x85", "line-separator": "\u2028", "paragraph-separator": "\u2029",
}  # fmt: skip


@pytest.mark.parametrize("brk", BREAKS.values(), ids=BREAKS.keys())
def test_no_text_starts_a_calendar_line(activity_b: ActivityOut, brk: str) -> None:
    """Text stored before the rules refused line breaks (or written around them) must not
    break out of its property: each line break becomes the escaped \\n, other controls go."""
    assert activity_b.location is not None
    place = activity_b.location.model_copy(
        update={"venue": f"Hall{brk}END:VEVENT", "city": "A\x00B"}
    )
    odd = activity_b.model_copy(
        update={"title": f"Heart{brk}BEGIN:VEVENT{brk}SUMMARY:forged", "location": place}
    )
    body = ics(odd, page_url="https://x.test/a", now=datetime(2030, 1, 2, tzinfo=UTC))
    # splitlines() breaks where any lenient reader might: CR, LF, VT, FF, FS, NEL, U+2028/9.
    assert body.splitlines() == body.removesuffix("\r\n").split("\r\n")
    lines = unfold(body)
    assert [line for line in lines if "VEVENT" in line].count("BEGIN:VEVENT") == 1
    assert "SUMMARY:Heart\\nBEGIN:VEVENT\\nSUMMARY:forged" in lines
    assert "LOCATION:Hall\\nEND:VEVENT\\, AB\\, NY\\, US" in lines


def test_long_calendar_lines_are_folded_at_75_octets(activity_b: ActivityOut) -> None:
    title = "Échocardiographie " * 12
    body = ics(activity_b.model_copy(update={"title": title}), page_url="https://x.test/a",
               now=datetime(2030, 1, 2, tzinfo=UTC))  # fmt: skip
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert f"SUMMARY:{title}" in unfold(body)


# -- the provider page ------------------------------------------------------------------------

PROVIDER_KEYS = {"acme": "ABGHJMN", "kids": "CD", "gas": "EIK", "cuts": "F"}


@pytest.mark.parametrize("provider_id", sorted(PROVIDER_KEYS))
def test_the_provider_page_lists_its_listed_activities(
    client: TestClient, provider_id: str
) -> None:
    doc = get_page(client, f"/providers/{provider_id}")
    found = cards(doc)
    assert sorted(c.key for c in found) == sorted(PROVIDER_KEYS[provider_id])
    assert {c.provider_href for c in found} == {f"/providers/{provider_id}"}
    count = len(PROVIDER_KEYS[provider_id])
    noun = "activity" if count == 1 else "activities"
    assert f"{count} listed {noun} with MOC credit." in doc.text()
    search = link_by_text(doc, "Search within them").attrs["href"]
    assert query_of(search) == {"provider": [provider_id]}
    assert sorted(keys(get_page(client, search))) == sorted(PROVIDER_KEYS[provider_id])


def test_an_unknown_provider_is_a_404_page(client: TestClient) -> None:
    doc = get_page(client, "/providers/nobody", status=404)
    assert doc.find("h1").text() == "Provider not found"


# -- what must never surface ------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(HIDDEN))
def test_hidden_activities_are_unreachable(client: TestClient, key: str) -> None:
    title = HIDDEN[key]
    for query in (title, title.split()[-1], "cardiology"):
        doc = get_page(client, f"/?q={query}")
        assert key not in keys(doc)
        assert title not in [c.title for c in cards(doc)]
        assert not [a for a in doc.find_all("a") if id_of(key) in a.attrs.get("href", "")]
    doc = get_page(client, f"/activities/{id_of(key)}", status=404)
    assert doc.find("h1").text() == "Activity not found"
    assert title not in doc.text()
    assert client.get(f"/activities/{id_of(key)}.ics").status_code == 404
    assert title not in get_page(client, "/providers/acme").text()
    assert title not in client.get("/feed.atom").text


# -- the Atom feed ----------------------------------------------------------------------------


def feed(client: TestClient, query: str) -> ET.Element:
    response = client.get(f"/feed.atom?{query}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    return root


def entry_keys(root: ET.Element) -> list[str]:
    keys_found = []
    for entry in root.iter(f"{ATOM}entry"):
        for required in ("id", "title", "updated", "summary"):
            assert entry.find(f"{ATOM}{required}") is not None
        href = entry.find(f"{ATOM}link").attrib["href"]  # type: ignore[union-attr]
        keys_found.append(key_of(href.rsplit("/", 1)[1]))
    return keys_found


def test_the_feed_counts_each_boards_credit_in_its_unit(client: TestClient) -> None:
    """An entry says what each board counts, as the card and the activity page do."""
    root = feed(client, "q=Sleep+Medicine+Essentials")
    summaries = [e.findtext(f"{ATOM}summary") or "" for e in root.iter(f"{ATOM}entry")]
    assert any("ABA 3 MOCA credits, ABIM 3 MOC points" in s for s in summaries), summaries


def test_the_feed_of_a_search_is_valid_atom(client: TestClient) -> None:
    root = feed(client, "board=ABP")
    assert sorted(entry_keys(root)) == ["C", "D"]
    titles = sorted(e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry"))
    assert titles == ["Pediatric Asthma Review", "Pediatric Cardiology Grand Rounds"]
    alternate = next(
        link for link in root.findall(f"{ATOM}link") if link.attrib["rel"] == "alternate"
    )
    assert query_of(alternate.attrib["href"]) == {"board": ["ABP"]}
    page = get_page(client, "/?board=ABP")
    assert link_by_text(page, "Follow as Atom feed").attrs["href"] == "/feed.atom?board=ABP"


def test_the_feed_escapes_titles_and_never_lists_hidden_activities(client: TestClient) -> None:
    response = client.get("/feed.atom?q=tricks")
    assert b"&lt;b&gt;" in response.content
    assert b"<b>" not in response.content
    root = feed(client, "q=tricks")
    assert [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")] == [HTML_TITLE]
    assert sorted(entry_keys(feed(client, ""))) == sorted(PUBLIC)
    assert "X" not in entry_keys(feed(client, "q=secrets"))


def test_feed_updated_is_when_the_activity_last_changed(
    client: TestClient, settings: Settings
) -> None:
    """Not its start date (in the future): a feed reader orders and refreshes by <updated>."""
    engine = make_engine(settings.catalog_url())
    with Session(engine) as session:
        changed = {
            key: get_public_activity(session, id_of(key), today=date.today()).updated_at
            for key in ("C", "D")
        }
    engine.dispose()
    root = feed(client, "board=ABP")
    updated = {
        key_of(e.find(f"{ATOM}link").attrib["href"].rsplit("/", 1)[1]):  # type: ignore[union-attr]
        datetime.fromisoformat(e.findtext(f"{ATOM}updated") or "")
        for e in root.iter(f"{ATOM}entry")
    }
    assert updated == {k: v.replace(microsecond=0) for k, v in changed.items()}
    assert datetime.fromisoformat(root.findtext(f"{ATOM}updated") or "") == max(updated.values())


# -- static files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "media_type"),
    [("/static/style.css", "text/css"), ("/static/app.js", "javascript")],
)
def test_static_files_are_served_by_the_app(client: TestClient, path: str, media_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert media_type in response.headers["content-type"]
    assert response.content


@pytest.mark.parametrize(
    "url",
    ["/", "/?board=ABS&format=in_person", "/activities/{B}", "/providers/acme", "/activities/none"],
)
def test_pages_load_scripts_and_styles_from_this_site_only(client: TestClient, url: str) -> None:
    response = client.get(url.replace("{B}", id_of("B")))
    doc = parse_html(response.text)
    assets = [n.attrs["src"] for n in doc.find_all("script") if "src" in n.attrs]
    assets += [n.attrs["href"] for n in doc.find_all("link", rel="stylesheet")]
    assert sorted(assets) == ["/static/app.js", "/static/style.css"]
    for node in doc.iter():
        for name in ("src", "href"):
            value = node.attrs.get(name, "")
            if node.tag in ("script", "link", "img", "iframe") and value:
                assert not re.match(r"^(https?:)?//", value), (node.tag, value)
    for asset in assets:
        assert client.get(asset).status_code == 200


def test_a_card_names_the_board_by_its_usual_spelling() -> None:
    """ABPath is written ABPATH as a code; the card shows the display code (issue 14)."""
    hit = {
        "id": "a1",
        "start_date": "2030-03-01",
        "end_date": "2030-03-01",
        "location": None,
        "format": "online",
        "cme_credits": 2.0,
        "fee": "free",
        "registration": "open",
        "moc": [
            {"board": "ABPATH", "points": 2.0, "credit_types": ["LL"],
             "practice_areas": ["Cytopathology"]},
        ],
    }  # fmt: skip
    assert card(hit, reference()).boards == [("ABPath", "2 credits · Lifelong Learning (CME)")]


def test_the_year_end_shortcut_keeps_the_search_and_names_the_boards_deadlines(
    client: TestClient,
) -> None:
    doc = get_page(client, "/?board=ABIM&q=sleep")
    year = date.today().year
    link = doc.find("a", id="year-end")
    assert link.text() == f"Can be done by Dec 31, {year}"
    assert query_of(link.attrs["href"]) == {
        "board": ["ABIM"], "q": ["sleep"], "date_to": [f"{year}-12-31"],
    }  # fmt: skip
    notes = [li.text() for li in doc.find("ul", cls="year-end-notes").find_all("li")]
    assert any(n.startswith("ABP: providers report completions by December 1") for n in notes)
    assert any(n.startswith("ABIM: providers report completions by December 31") for n in notes)
    chosen = get_page(client, link.attrs["href"])
    assert chosen.find("a", id="year-end").attrs["aria-current"] == "true"


@pytest.mark.parametrize("q", ["ﬃ" * 99, "heart " + "ﬃ" * 90, "ﬃ" * 90 + " heart"])
def test_a_word_longer_than_any_indexed_word_finds_nothing_not_a_500(
    client: TestClient, q: str
) -> None:
    """A q within its 200 characters whose word folds past the longest word either engine
    indexes (250 characters; "ﬃ" folds to three letters) answered 500 on tantivy: the word
    had no term to look up."""
    for path in ("/api/v1/activities", "/", "/search/count", "/feed.atom"):
        response = client.get(path, params={"q": q})
        assert response.status_code == 200, (path, response.status_code)
