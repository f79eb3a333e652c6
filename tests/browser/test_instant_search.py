"""Search as you type, and the phone's filter panel, in Chromium against a live server.

The physician's journey on a 390 px screen: type, tick three filters in the panel (applied
together, the count shown before), open an activity and come back to the same search.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, open_page, serious_axe_violations
from tests.browser.test_journeys import count_heading, facet, titles

pytestmark = pytest.mark.browser


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A 390 x 844 screen (an iPhone's), touch and JavaScript on."""
    yield from open_page(
        browser, live_server, viewport={"width": 390, "height": 844}, has_touch=True,
        is_mobile=True,
    )  # fmt: skip


def navigations(page: Page) -> list[str]:
    """Every document the page loads from now on (instant search loads none)."""
    loaded: list[str] = []
    page.on(
        "request",
        lambda r: loaded.append(r.url) if r.is_navigation_request() else None,
    )
    return loaded


def test_typing_updates_results_without_loading_a_page(page: Page, axe_source: str) -> None:
    page.goto("/")
    expect(count_heading(page)).to_have_text("43 activities")
    loaded = navigations(page)
    box = page.get_by_label("Search activities")
    box.press_sequentially("cardiology", delay=40)
    expect(count_heading(page)).to_have_text("4 activities")
    assert query_of(page) == {"q": ["cardiology"]}  # shareable, with replaceState
    expect(box).to_be_focused()  # typing goes on where it was
    expect(page.locator("#search-status")).to_have_text("4 activities")  # announced
    facet(page, "Fee", "Free").click()
    expect(count_heading(page)).to_have_text("2 activities")
    expect(facet(page, "Fee", "Free")).to_be_checked()
    expect(facet(page, "Fee", "Free")).to_be_focused()
    assert query_of(page) == {"q": ["cardiology"], "fee": ["free"]}
    page.get_by_label("Sort by").select_option("title")
    expect(page.locator("article.card h2").first).to_have_text("Cardiology Journal Club")
    assert loaded == []
    assert serious_axe_violations(page, axe_source) == []

    page.reload()  # the URL alone holds the search
    expect(count_heading(page)).to_have_text("2 activities")
    expect(page.get_by_label("Sort by")).to_have_value("title")


def test_the_page_does_not_jump_to_the_top_after_a_tick(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 600})
    page.goto("/")
    state = facet(page, "State", "Pennsylvania")
    state.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 300
    before = state.bounding_box()
    assert before is not None
    state.click()
    expect(count_heading(page)).to_have_text("31 activities")
    # The groups above shrink by far more than a screen once the counts narrow (over
    # 1,000 px here); the ticked box stays where the reader's eye is.
    after = facet(page, "State", "Pennsylvania").bounding_box()
    assert after is not None
    assert after["y"] == pytest.approx(before["y"], abs=40)
    assert page.evaluate("window.scrollY") > 300


def test_physician_journey_on_a_phone(phone: Page, axe_source: str) -> None:
    page = phone
    page.goto("/")
    filters_button = page.get_by_role("button", name="Filters")
    box = filters_button.bounding_box()
    assert box is not None
    assert box["y"] < 300, "the filters open from the top of the page"
    assert serious_axe_violations(page, axe_source) == []

    page.get_by_label("Search activities").fill("review")
    expect(count_heading(page)).to_have_text("32 activities")

    filters_button.click()
    panel = page.get_by_role("dialog", name="Filters")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", name="Filters")).to_be_focused()
    assert serious_axe_violations(page, axe_source) == []
    apply = panel.locator("#apply-filters")
    facet(page, "Board", "American Board of Internal Medicine").check()
    expect(apply).to_have_text("Show 31 activities")
    facet(page, "Format", "Online").check()
    expect(apply).to_have_text("Show 1 activity")
    facet(page, "Format", "Online").uncheck()
    facet(page, "Activity type", "Course (live)").check()
    expect(apply).to_have_text("Show 31 activities")
    facet(page, "State", "Pennsylvania").check()
    expect(apply).to_have_text("Show 30 activities")
    expect(count_heading(page)).to_have_text("32 activities")  # nothing applied yet
    apply.click()

    expect(panel).to_be_hidden()
    expect(count_heading(page)).to_have_text("30 activities")
    expect(filters_button).to_have_text("Filters (4)")
    expect(filters_button).to_be_focused()
    search = query_of(page)
    assert search == {
        "q": ["review"], "board": ["ABIM"], "activity_type": ["course"], "state": ["PA"],
    }  # fmt: skip
    first = titles(page)[0]
    assert page.evaluate("window.scrollY") < 400

    with page.expect_navigation():
        page.get_by_role("link", name=first).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first)
    page.go_back()
    assert query_of(page) == search
    expect(count_heading(page)).to_have_text("30 activities")
    expect(page.get_by_label("Search activities")).to_have_value("review")
    assert titles(page)[0] == first


def test_closing_the_panel_applies_nothing(phone: Page) -> None:
    page = phone
    page.goto("/?fee=free")
    page.get_by_role("button", name="Filters").click()
    facet(page, "Fee", "Paid").check()
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert query_of(page) == {"fee": ["free"]}
    expect(count_heading(page)).to_have_text("6 activities")
    page.get_by_role("button", name="Filters").click()
    expect(facet(page, "Fee", "Paid")).not_to_be_checked()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Filters")).to_be_focused()


def test_without_javascript_the_phone_still_reaches_the_filters(
    browser: Browser, live_server: LiveServer
) -> None:
    for page in open_page(
        browser, live_server, viewport={"width": 390, "height": 844}, java_script_enabled=False
    ):
        page.goto("/")
        link = page.get_by_role("link", name="Filters")
        box = link.bounding_box()
        assert box is not None
        assert box["y"] < 300
        link.click()
        facet(page, "Fee", "Free").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Apply filters").click()
        assert query_of(page)["fee"] == ["free"]  # the plain form sends every field
        expect(count_heading(page)).to_have_text("6 activities")


def test_a_search_part_that_fails_falls_back_to_loading_the_page(page: Page) -> None:
    page.goto("/")
    page.route("**/search/results*", lambda route: route.fulfill(status=503, body="{}"))
    with page.expect_navigation():
        facet(page, "Fee", "Free").click()
    assert query_of(page) == {"fee": ["free"]}
    expect(count_heading(page)).to_have_text("6 activities")
