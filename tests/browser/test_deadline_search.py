"""The physician with a deadline (issue 15): from the home page, ABIM patient-safety activities
that can be done by December 31, within 50 miles of a ZIP code, in at most five interactions.

A catalog of its own, dated around today, since "by Dec 31" means this year's end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, open_page, serve
from tests.browser.test_journeys import count_heading, facet
from tests.builders import build_catalog, make_record

pytestmark = pytest.mark.browser
PHILADELPHIA = {"city": "Philadelphia", "state": "PA", "postal_code": "19107", "country": "US"}
LOS_ANGELES = {"city": "Los Angeles", "state": "CA", "postal_code": "90012", "country": "US"}


def activity(key: str, start: date, location: dict[str, str], types: list[str]) -> Any:
    moc = [{"board": "ABIM", "points": 4, "credit_types": types,
            "practice_areas": ["Hospital Medicine"]}]  # fmt: skip
    return make_record(
        provider_activity_id=key, title=f"Inpatient Care Course {key}", location=location,
        start_date=start.isoformat(), end_date=(start + timedelta(days=1)).isoformat(),
        url=f"https://example.org/{key}", cme_credits=4, moc=moc,
    )  # fmt: skip


@pytest.fixture(scope="module")
def deadline_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    today = date.today()
    next_year = date(today.year + 1, 1, 15)
    records = [
        ("hosp", activity("PS-NEAR", today, PHILADELPHIA, ["PS"])),
        ("hosp", activity("PS-FAR", today, LOS_ANGELES, ["PS"])),
        ("hosp", activity("PS-NEXT-YEAR", next_year, PHILADELPHIA, ["PS"])),
        ("hosp", activity("MK-NEAR", today, PHILADELPHIA, ["MK"])),
    ]
    data: Path = tmp_path_factory.mktemp("deadline")
    with serve(build_catalog(data, records, {"hosp": "Hospital Learning"})) as server:
        yield server


@pytest.fixture
def deadline_page(browser: Browser, deadline_server: LiveServer) -> Iterator[Page]:
    yield from open_page(browser, deadline_server, viewport={"width": 1280, "height": 900})


def test_abim_patient_safety_by_dec_31_near_a_zip_in_four_interactions(
    deadline_page: Page,
) -> None:
    page = deadline_page
    page.goto("/")
    expect(count_heading(page)).to_have_text("4 activities")
    page.get_by_role("link", name=f"Can be done by Dec 31, {date.today().year}").click()  # 1
    expect(count_heading(page)).to_have_text("3 activities")
    facet(page, "MOC credit type", "Patient Safety").check()  # 2
    expect(count_heading(page)).to_have_text("2 activities")
    page.get_by_label("ZIP code").fill("19107")  # 3
    page.get_by_label("ZIP code").press("Enter")  # 4
    expect(count_heading(page)).to_have_text("1 activity")
    expect(page.locator("article.card h2")).to_have_text(["Inpatient Care Course PS-NEAR"])
