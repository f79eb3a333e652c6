"""Provider pages in-process: sign-in cookie, CSRF, My listings with reasons, upload report."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from api.app import create_app
from api.settings import Settings
from catalog import migrate
from catalog.db import make_engine, session_scope
from catalog.providers import add_provider, create_key, revoke_keys
from catalog.rules import parse_activity
from catalog.service import upsert_activity
from tests.builders import make_record

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings(data_dir=tmp_path)
    db = make_engine(settings.catalog_url())
    migrate.upgrade(db)
    with session_scope(db) as session:
        add_provider(session, provider_id="acme", name="ACME CME")
        add_provider(session, provider_id="rival", name="Rival CME")
        keys = {"acme": create_key(session, provider_id="acme"),
                "rival": create_key(session, provider_id="rival")}  # fmt: skip
        records = [
            ("acme", make_record(provider_activity_id="PUB", title="Public Lipid Course")),
            ("acme", make_record(provider_activity_id="HID", title="Staff Only Lipids")),
            ("rival", make_record(provider_activity_id="RIV", title="Rival Secret Course")),
        ]
        for pid, record in records:
            record["listed"] = record["provider_activity_id"] == "PUB"
            upsert_activity(session, provider_id=pid, data=parse_activity(record))
    db.dispose()
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client, keys


def sign_in(client: TestClient, key: str) -> str:
    page = client.get("/provider/sign-in")
    token = CSRF.search(page.text)
    assert token is not None
    response = client.post("/provider/sign-in", data={"key": key, "csrf": token.group(1)},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    return client.get("/provider").text


def test_provider_pages_need_sign_in(site: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = site
    response = client.get("/provider", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/provider/sign-in")


def test_provider_pages_cookie_is_httponly_strict(site: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = site
    page = client.get("/provider/sign-in")
    token = CSRF.search(page.text)
    assert token is not None
    response = client.post("/provider/sign-in", data={"key": keys["acme"], "csrf": token.group(1)},
                           follow_redirects=False)  # fmt: skip
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert keys["acme"].lower() not in cookie


def test_provider_pages_csrf_and_bad_key_refused(site: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = site
    client.get("/provider/sign-in")
    no_token = client.post("/provider/sign-in", data={"key": keys["acme"], "csrf": "forged"},
                           follow_redirects=False)  # fmt: skip
    assert "The form expired" in no_token.text
    token = CSRF.search(client.get("/provider/sign-in").text)
    assert token is not None
    wrong = client.post("/provider/sign-in", data={"key": "moc_nope", "csrf": token.group(1)})
    assert "not valid or has been revoked" in wrong.text


def test_provider_pages_listings_show_cards_and_reasons_only_own(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = site
    page = sign_in(client, keys["acme"])
    assert "My listings: ACME CME" in page
    assert "Public Lipid Course" in page
    assert "Staff Only Lipids" in page
    assert "Not shown</strong>: not listed by provider" in page
    assert "Rival Secret Course" not in page
    assert "2 activities, 1 shown publicly" in page


def test_provider_pages_revoked_key_ends_session(site: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = site
    sign_in(client, keys["acme"])
    engine = make_engine(str(client.app.state.settings.catalog_url()))  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        revoke_keys(session, provider_id="acme")
    engine.dispose()
    assert client.get("/provider", follow_redirects=False).status_code == 303


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["provider_activity_id", "title", "activity_type", "format", "start_date", "end_date",
          "url", "fee", "cme_credits", "listed", "ABIM points", "ABIM credit types",
          "ABIM practice areas"]  # fmt: skip


def import_counts(client: TestClient) -> dict[str, float]:
    """moc_import_records_total by result, from /metrics (0 before the first import)."""
    text = client.get("/metrics").text
    counts = {"accepted": 0.0, "rejected": 0.0}
    for result, value in IMPORT_SAMPLE.findall(text):
        counts[result] = float(value)
    return counts


IMPORT_SAMPLE = re.compile(r'^moc_import_records_total\{result="(\w+)"\} (\S+)$', re.MULTILINE)


def test_provider_pages_upload_xlsx_report(site: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = site
    page = sign_in(client, keys["acme"])
    token = CSRF.search(page)
    assert token is not None
    good = ["X1", "Uploaded Lipid Webinar", "EM", "online", "2030-01-01", "2030-06-30",
            "https://example.org/x1", "free", 2, "no", 2, "MK", "Nephrology"]  # fmt: skip
    bad = ["X2", "Broken Row", "EM", "online", "2030-01-01", "2030-06-30",
           "https://example.org/x2", "free", 2, "yes", 2, "LLSA", "Nephrology"]  # fmt: skip
    counted = import_counts(client)
    files = {"file": ("batch.xlsx", xlsx_bytes([HEADER, good, bad]), "application/octet-stream")}
    refused = client.post("/provider/upload", data={"csrf": token.group(1)}, files=files).text
    assert "2 records: 1 accepted, 1 rejected" in refused
    assert "Nothing was written" in refused
    assert "row 3" in refused
    assert "moc.0.credit_types.0 (column &#34;ABIM credit types&#34;)" in refused
    assert "Uploaded Lipid Webinar" not in refused
    files = {"file": ("batch.xlsx", xlsx_bytes([HEADER, good, bad]), "application/octet-stream")}
    partial = client.post(
        "/provider/upload", data={"csrf": token.group(1), "partial": "true"}, files=files
    ).text
    assert "1 created" in partial
    assert "Uploaded Lipid Webinar" in partial
    after = import_counts(client)
    assert after == {"accepted": counted["accepted"] + 2, "rejected": counted["rejected"] + 2}
    assert "Not shown</strong>: not listed by provider" in partial
