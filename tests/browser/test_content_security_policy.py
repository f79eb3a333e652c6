"""The pages work under their Content-Security-Policy ('self' only), in Chromium.

Every page of the journeys loads with the policy the app sends, and the browser reports no
violation: neither as a `securitypolicyviolation` event nor on the console. Instant search
(web/static/app.js) still answers as the physician types. A control checks that an inline
script is refused and reported, so the watch itself can fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import LiveServer, open_page
from tests.browser.test_journeys import count_heading
from tests.contract.catalog_fixture import id_of

pytestmark = pytest.mark.browser

# Collects every violation the page reports, from the first script on (before ours runs).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
});
"""
PAGES = [
    "/",
    "/?q=cardiology&fee=free",
    f"/activities/{id_of('A')}",
    "/providers/acme",
    "/provider/sign-in",
    "/about/moc-credit",
]


class Watched:
    """A page and what it reported: CSP violation events and console errors."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", self._console)
        page.add_init_script(WATCH)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.console.append(message.text)

    def violations(self) -> list[str]:
        reported: list[str] = self.page.evaluate("window.__violations")
        return reported + [m for m in self.console if "Content Security Policy" in m]


@pytest.fixture
def watched(browser: Browser, live_server: LiveServer) -> Iterator[Watched]:
    for page in open_page(browser, live_server, viewport={"width": 1280, "height": 900}):
        yield Watched(page)


@pytest.mark.parametrize("path", PAGES)
def test_a_page_loads_without_a_policy_violation(watched: Watched, path: str) -> None:
    response = watched.page.goto(path)
    assert response is not None
    assert response.ok
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    watched.page.wait_for_load_state("networkidle")
    assert watched.violations() == []
    assert watched.console == []


def test_instant_search_works_under_the_policy(watched: Watched) -> None:
    page = watched.page
    page.goto("/")
    expect(count_heading(page)).to_have_text("43 activities")
    navigated: list[str] = []
    page.on("request", lambda r: navigated.append(r.url) if r.is_navigation_request() else None)
    page.get_by_label("Search activities").press_sequentially("cardiology", delay=40)
    expect(count_heading(page)).to_have_text("4 activities")  # answered by app.js in place
    assert navigated == []
    assert watched.violations() == []


def test_an_inline_script_is_refused_and_reported(watched: Watched) -> None:
    """The control: were the policy missing or the watch blind, this would fail."""
    page = watched.page
    page.goto("/")
    try:
        page.add_script_tag(content="window.__ran = true")
    except PlaywrightError:
        pass  # Playwright may say the script did not run; the page's report is what counts
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in watched.violations())
