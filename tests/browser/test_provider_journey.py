"""A provider signs in, uploads an XLSX, reads the report and previews its listings."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from catalog.db import make_engine, session_scope
from catalog.providers import create_key
from catalog.service import public_id
from tests.browser.conftest import LiveServer, serious_axe_violations

pytestmark = pytest.mark.browser
HEADER = ["provider_activity_id", "title", "activity_type", "format", "start_date", "end_date",
          "url", "fee", "cme_credits", "listed", "ABIM points", "ABIM credit types",
          "ABIM practice areas"]  # fmt: skip


def key_for(server: LiveServer, provider_id: str) -> str:
    engine = make_engine(server.settings.catalog_url())
    with session_scope(engine, write=True) as session:
        key = create_key(session, provider_id=provider_id)
    engine.dispose()
    return key


def workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["UP1", "Uploaded Staff Lipid Clinic", "EM", "online", "2030-01-01",
                  "2030-06-30", "https://example.org/up1", "free", 2, "no", 2, "MK",
                  "Nephrology"])  # fmt: skip
    sheet.append(["UP2", "Uploaded Open Lipid Course", "EM", "online", "2030-01-01",
                  "2030-06-30", "https://example.org/up2", "free", 2, "yes", 2, "MK",
                  "Nephrology"])  # fmt: skip
    sheet.append(["UP3", "Broken Lipid Row", "EM", "online", "2030-01-01", "2030-06-30",
                  "https://example.org/up3", "free", 2, "yes", 2, "LLSA",
                  "Nephrology"])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_provider_journey_sign_in_upload_preview(
    page: Page, live_server: LiveServer, tmp_path: Path, axe_source: str
) -> None:
    page.goto(f"{live_server.url}/provider")
    expect(page).to_have_url(f"{live_server.url}/provider/sign-in")
    assert serious_axe_violations(page, axe_source) == []
    page.get_by_label("API key").fill(key_for(live_server, "acme"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My listings: ACME Medical Education")

    page.get_by_label("JSONL, CSV, XLSX or PARS XML file").set_input_files(
        workbook(tmp_path / "b.xlsx")
    )
    page.get_by_label("Write the valid records even if some are rejected").check()
    page.get_by_role("button", name="Upload").click()

    report = page.get_by_role("status")
    expect(report).to_contain_text("3 records: 2 accepted, 1 rejected.")
    expect(report).to_contain_text("2 created")
    row = page.get_by_role("row", name="row 4")
    expect(row).to_contain_text("moc.0.credit_types.0")
    expect(row).to_contain_text("'LLSA' is not a credit type of ABIM")

    staff = page.locator(".listing", has_text="Uploaded Staff Lipid Clinic")
    expect(staff.locator(".visibility")).to_contain_text("Not shown: not listed by provider")
    expect(staff.get_by_role("heading", name="Uploaded Staff Lipid Clinic")).to_be_visible()
    open_course = page.locator(".listing", has_text="Uploaded Open Lipid Course")
    expect(open_course.locator(".visibility")).to_contain_text("Shown publicly")
    assert serious_axe_violations(page, axe_source) == []
    # Another provider's activities never appear, listed or not.
    expect(page.get_by_text("Pediatric Asthma Review")).to_have_count(0)
    expect(page.get_by_text("Broken Lipid Row")).to_have_count(0)


CSV_HEADER = ",".join(HEADER)
CSV_MISTAKE = (
    f"{CSV_HEADER}\n"
    "CSV1,Staff Lipid Update,EM,online,2030-01-01,2030-06-30,https://example.org/csv1,free,2,"
    "no,2,MK,General Internal Medicine\n"
)


def test_provider_journey_multipart_csv_fix_and_preview(
    page: Page, live_server: LiveServer, tmp_path: Path, axe_source: str
) -> None:
    """Sign in, upload a CSV with a mistake, read the report, fix it, preview the hidden listing."""
    page.goto(f"{live_server.url}/provider/sign-in")
    page.get_by_label("API key").fill(key_for(live_server, "acme"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My listings: ACME Medical Education")

    upload = tmp_path / "listings.csv"
    upload.write_text(CSV_MISTAKE, encoding="utf-8")
    page.get_by_label("JSONL, CSV, XLSX or PARS XML file").set_input_files(upload)
    page.get_by_role("button", name="Upload").click()
    report = page.get_by_role("status")
    expect(report).to_contain_text("1 records: 0 accepted, 1 rejected.")
    expect(report).to_contain_text("did you mean 'Internal Medicine'?")
    assert page.url == f"{live_server.url}/provider"  # redirected: a reload sends nothing again
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("1 records: 0 accepted, 1 rejected.")
    assert serious_axe_violations(page, axe_source) == []

    upload.write_text(CSV_MISTAKE.replace("General Internal Medicine", "Internal Medicine"))
    page.get_by_label("JSONL, CSV, XLSX or PARS XML file").set_input_files(upload)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("1 records: 1 accepted, 0 rejected.")

    listing = page.locator(".listing", has_text="Staff Lipid Update")
    expect(listing.locator(".visibility")).to_contain_text("Not shown: not listed by provider")
    with page.expect_navigation():
        listing.get_by_role("link", name="Preview Staff Lipid Update").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff Lipid Update")
    banner = page.locator(".preview-banner")
    expect(banner).to_contain_text("Preview: not shown publicly")
    expect(banner).to_contain_text("not listed by provider")
    expect(page.get_by_role("heading", name="MOC credit")).to_be_visible()
    assert serious_axe_violations(page, axe_source) == []
    # The preview is the provider's alone: the public finds and opens nothing.
    assert page.request.get(f"/activities/{public_id('acme', 'CSV1')}").status == 404
    found = page.request.get("/search/count", params={"q": "Staff Lipid Update"}).json()
    assert found["total"] == 0
