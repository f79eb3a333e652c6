"""A physician's journeys through the pages in a real browser, against a live server.

Chromium (Debian's, via Playwright) drives the real app over the contract catalog plus 30
generated activities (see conftest.py): 43 public activities, 40 of them with ABIM credit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import serious_axe_violations
from tests.contract.catalog_fixture import id_of
from tests.web.catalog_site import HIDDEN, HTML_TITLE

pytestmark = pytest.mark.browser

TITLES = {
    "A": "Cardiology Update 2030",
    "B": "Heart Failure Masterclass",
    "D": "Pediatric Cardiology Grand Rounds",
    "H": "Cardiology Journal Club",
}


def titles(page: Page) -> list[str]:
    return page.locator("article.card h2").all_inner_texts()


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def count_heading(page: Page) -> Locator:
    return page.locator("#results-heading")


def facet(page: Page, group: str, option: str) -> Locator:
    """The checkbox or radio named ``option`` (its label, before the count) in a facet group."""
    box = page.get_by_role("group", name=group, exact=True)
    return box.get_by_label(re.compile(rf"^{re.escape(option)} \d+$"))


# -- searching --------------------------------------------------------------------------------


def test_search_sort_filter_open_and_come_back(page: Page) -> None:
    page.goto("/")
    expect(count_heading(page)).to_have_text("43 activities")
    page.get_by_label("Search activities").fill("cardiology")
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()
    expect(count_heading(page)).to_have_text("4 activities")
    assert _query(page.url) == {"q": ["cardiology"]}  # the script leaves empty fields out
    assert "&" not in page.url
    assert titles(page) == [TITLES[k] for k in "DAHB"]  # best match first

    with page.expect_navigation():  # the page's script submits the form on change
        page.get_by_label("Sort by").select_option("title")
    assert titles(page) == [TITLES[k] for k in "HABD"]

    free = facet(page, "Fee", "Free")
    with page.expect_navigation():
        free.click()  # check() could race the submit its change event starts
    expect(count_heading(page)).to_have_text("2 activities")
    assert titles(page) == [TITLES["H"], TITLES["D"]]
    expect(facet(page, "Fee", "Free")).to_be_checked()
    expect(page.get_by_role("list", name="Applied filters")).to_contain_text("Free")
    search_url = page.url
    assert _query(search_url) == {"q": ["cardiology"], "sort": ["title"], "fee": ["free"]}

    with page.expect_navigation():
        page.get_by_role("link", name=TITLES["D"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLES["D"])
    assert page.url.endswith(f"/activities/{id_of('D')}")

    page.go_back()
    assert page.url == search_url
    expect(facet(page, "Fee", "Free")).to_be_checked()
    expect(page.get_by_label("Search activities")).to_have_value("cardiology")
    expect(page.get_by_label("Sort by")).to_have_value("title")
    assert titles(page) == [TITLES["H"], TITLES["D"]]


def test_filters_and_sort_work_without_javascript(page_without_js: Page) -> None:
    page = page_without_js
    page.goto("/?q=cardiology")
    expect(count_heading(page)).to_have_text("4 activities")
    facet(page, "Fee", "Free").check()
    assert _query(page.url) == {"q": ["cardiology"]}  # nothing happens until Apply
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert _query(page.url)["fee"] == ["free"]
    expect(count_heading(page)).to_have_text("2 activities")
    expect(facet(page, "Fee", "Free")).to_be_checked()

    page.get_by_label("Sort by").select_option("title")
    with page.expect_navigation():
        page.get_by_role("button", name="Sort", exact=True).click()
    assert titles(page) == [TITLES["H"], TITLES["D"]]
    assert _query(page.url)["sort"] == ["title"]


def test_pages_of_results_and_back_to_the_first(page: Page) -> None:
    page.goto("/")
    with page.expect_navigation():
        facet(page, "Board", "American Board of Internal Medicine").click()
    expect(count_heading(page)).to_have_text("40 activities")
    first_url, first = page.url, titles(page)
    assert len(first) == 20

    pages = page.get_by_role("navigation", name="Result pages")
    with page.expect_navigation():
        pages.get_by_role("link", name="2", exact=True).click()
    assert _query(page.url) == {"board": ["ABIM"], "page": ["2"]}
    second = titles(page)
    assert len(second) == 20
    assert not set(first) & set(second)
    expect(pages.locator("[aria-current=page]")).to_have_text("2")
    expect(facet(page, "Board", "American Board of Internal Medicine")).to_be_checked()

    page.go_back()
    assert page.url == first_url
    assert titles(page) == first
    expect(pages.locator("[aria-current=page]")).to_have_text("1")
    expect(facet(page, "Board", "American Board of Internal Medicine")).to_be_checked()


def test_a_limited_activity_says_so_on_its_card(page: Page) -> None:
    page.goto("/?q=cardiology")
    limited = page.locator("article.card", has=page.get_by_role("heading", name=TITLES["B"]))
    notice = limited.locator(".limited")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Registration limited.")
    expect(notice).to_contain_text("it may not be open to you")
    open_card = page.locator("article.card", has=page.get_by_role("heading", name=TITLES["A"]))
    expect(open_card.locator(".limited")).to_have_count(0)


@pytest.mark.parametrize("key", sorted(HIDDEN))
def test_hidden_activities_cannot_be_reached(page: Page, key: str) -> None:
    title = HIDDEN[key]
    page.goto("/")
    page.get_by_label("Search activities").fill(title)
    with page.expect_navigation():
        page.get_by_label("Search activities").press("Enter")
    expect(count_heading(page)).to_have_text("0 activities")
    expect(page.get_by_role("link", name=title, exact=True)).to_have_count(0)

    response = page.goto(f"/activities/{id_of(key)}")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity not found")

    page.goto("/providers/acme")
    expect(page.locator("article.card")).to_have_count(7)
    expect(page.get_by_text(title)).to_have_count(0)


def test_a_title_with_html_is_shown_as_text(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Search activities").fill("tricks")
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()
    heading = page.get_by_role("heading", name=HTML_TITLE)
    expect(heading).to_have_count(1)
    assert "<b>" in heading.inner_text()
    expect(page.locator("article.card h2 b")).to_have_count(0)
    with page.expect_navigation():
        heading.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(HTML_TITLE)
    assert page.title() == f"{HTML_TITLE} – MOC Catalog"
    expect(page.locator("h1 b")).to_have_count(0)


# -- keyboard ---------------------------------------------------------------------------------

MARK_CONTROLS = """() => {
  const visible = (el) =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const controls = [...document.querySelectorAll(
    "a[href], input:not([type=hidden]), select, button, textarea, summary")]
    .filter((el) => !el.disabled && visible(el));
  return controls.map((el, i) => {
    el.dataset.kb = String(i);
    return {
      kb: String(i), tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "",
      checked: !!el.checked, id: el.id,
      text: (el.getAttribute("aria-label") || el.textContent || el.value || "").trim().slice(0, 60),
    };
  });
}"""
ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || !el.dataset || el.dataset.kb === undefined) return null;
  const style = getComputedStyle(el);
  return {
    kb: el.dataset.kb, tag: el.tagName.toLowerCase(), type: el.type || "",
    inCard: !!el.closest("article.card"), focusVisible: el.matches(":focus-visible"),
    outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth,
  };
}"""


def test_every_control_of_the_search_page_is_reachable_by_tab(page: Page) -> None:
    page.goto("/?board=ABIM")
    controls: list[dict[str, Any]] = page.evaluate(MARK_CONTROLS)
    # A radio group is one Tab stop (its checked radio); arrow keys move within it.
    expected = {c["kb"]: c for c in controls if c["type"] != "radio" or c["checked"]}
    kinds = {(c["tag"], c["type"]) for c in expected.values()}
    assert {("input", "search"), ("input", "checkbox"), ("input", "radio"), ("input", "date"),
            ("select", "select-one"), ("button", "submit"), ("a", "")} <= kinds  # fmt: skip
    assert any(c["text"] == "2" for c in expected.values()), "no pagination link"

    reached: list[dict[str, Any]] = []
    for _ in range(400):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE)
        if active is None:
            if reached:
                break  # focus left the page after the last control
            continue
        if not reached or reached[-1]["kb"] != active["kb"]:  # a date input has 3 stops
            reached.append(active)
    else:
        pytest.fail("Tab did not leave the page within 400 presses")

    seen = {r["kb"] for r in reached}
    missed = [c for kb, c in expected.items() if kb not in seen]
    assert not missed, f"never focused by Tab: {missed}"
    assert expected[reached[0]["kb"]]["text"] == "Skip to content", "skip link is not first"
    for description, found in [
        ("checkbox", next(r for r in reached if r["type"] == "checkbox")),
        ("link to a result", next(r for r in reached if r["tag"] == "a" and r["inCard"])),
    ]:
        assert found["focusVisible"], f"{description} does not match :focus-visible"
        assert found["outlineStyle"] != "none", f"{description} has no focus outline"
        assert found["outlineWidth"] != "0px", f"{description} has a zero-width outline"


def test_the_skip_link_shows_and_moves_focus_to_the_content(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0, "the focused skip link is off-screen"
    assert box["y"] >= 0, "the focused skip link is off-screen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


# -- accessibility ----------------------------------------------------------------------------

AXE_PAGES = {
    "search": "/?q=cardiology&fee=free",
    "search-all": "/",
    "no-results": "/?board=ABS&format=in_person",
    "problems": "/?board=XYZ&near=99999",
    "activity-limited": "/activities/{B}",
    "activity-two-boards": "/activities/{D}",
    "provider": "/providers/acme",
    "not-found": "/activities/nothing-here",
    "help": "/about/moc-credit",
    "plain-problems": "/?date_from=2027-02-30&page=0",
    "last-page": "/?page=9",
}


@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_no_serious_accessibility_violations(page: Page, axe_source: str, name: str) -> None:
    url = AXE_PAGES[name].format(B=id_of("B"), D=id_of("D"))
    page.goto(url)
    report = serious_axe_violations(page, axe_source)
    if report:
        pytest.fail(f"axe found on {url}:\n{json.dumps(report, indent=2)}", pytrace=False)


# -- how it looks -----------------------------------------------------------------------------

SHOTS = [
    ("home", "/", 1280),
    ("home", "/", 390),
    ("search", "/?q=cardiology", 1280),
    ("search", "/?q=cardiology", 390),
    ("results-with-filters", "/?q=review&board=ABIM&fee=yes&state=PA", 1280),
    ("results-with-filters", "/?q=review&board=ABIM&fee=yes&state=PA", 390),
    ("help", "/about/moc-credit", 1280),
    ("help", "/about/moc-credit", 390),
    ("activity", "/activities/{B}", 1280),
    ("activity", "/activities/{B}", 390),
    ("provider", "/providers/acme", 390),
]


@pytest.mark.parametrize(("name", "url", "width"), SHOTS)
def test_screenshots_and_no_sideways_scrolling(
    page: Page, screenshots: Path, name: str, url: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url.format(B=id_of("B")))
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1"
        " && el.closest('.skip') === null)"
        ".map((el) => el.tagName + '.' + el.className).slice(0, 10)"
    )
    page.screenshot(path=str(screenshots / f"{name}-{width}.png"), full_page=True)
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width, f"{name} scrolls sideways at {width} px: {overflow}"
