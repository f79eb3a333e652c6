"""Provider pages in-process: sign-in cookie, CSRF, My listings with reasons, upload report."""

from __future__ import annotations

import html
import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import select

from api.app import create_app
from api.settings import Settings
from catalog import migrate
from catalog.db import make_engine, session_scope
from catalog.models import SignInSession
from catalog.providers import add_provider, create_key, revoke_keys
from catalog.rules import parse_activity
from catalog.service import public_id, upsert_activity
from tests.builders import make_record
from web.provider_session import MAX_AGE_S

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
    with session_scope(engine, write=True) as session:
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


def test_provider_preview_shows_a_hidden_listing_as_the_public_would_see_it(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = site
    listings = sign_in(client, keys["acme"])
    assert 'href="/provider/activities/HID"' in listings  # every listing opens its preview
    assert 'href="/provider/activities/PUB"' in listings
    hidden = client.get("/provider/activities/HID")
    assert hidden.status_code == 200
    assert hidden.headers["cache-control"] == "no-store"
    assert "<h1>Staff Only Lipids</h1>" in hidden.text
    assert "Preview: not shown publicly" in hidden.text
    assert "not listed by provider" in hidden.text
    assert 'class="board"' in hidden.text  # the public page's MOC section, from its template
    shown = client.get("/provider/activities/PUB")
    assert "Preview: shown publicly" in shown.text
    assert "<h1>Public Lipid Course</h1>" in shown.text


def test_provider_preview_never_makes_a_hidden_listing_public(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = site
    hidden_id = public_id("acme", "HID")
    anonymous = TestClient(client.app, base_url="http://testserver")
    assert anonymous.get(f"/activities/{hidden_id}").status_code == 404
    response = anonymous.get("/provider/activities/HID", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/provider/sign-in")
    sign_in(client, keys["acme"])
    assert client.get(f"/activities/{hidden_id}").status_code == 404  # signed in or not
    assert client.get("/provider/activities/RIV").status_code == 404  # another provider's
    assert "Rival Secret Course" not in client.get("/provider/activities/RIV").text
    assert "Staff Only Lipids" not in client.get("/?q=lipids").text


def test_provider_upload_redirects_so_a_reload_does_not_send_it_again(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = site
    token = CSRF.search(sign_in(client, keys["acme"]))
    assert token is not None
    good = ["X1", "Uploaded Lipid Webinar", "EM", "online", "2030-01-01", "2030-06-30",
            "https://example.org/x1", "free", 2, "no", 2, "MK", "Nephrology"]  # fmt: skip
    files = {"file": ("batch.xlsx", xlsx_bytes([HEADER, good]), "application/octet-stream")}
    counted = import_counts(client)
    posted = client.post(
        "/provider/upload", data={"csrf": token.group(1)}, files=files, follow_redirects=False
    )
    assert (posted.status_code, posted.headers["location"]) == (303, "/provider")
    first = client.get("/provider").text
    reloaded = client.get("/provider").text
    for page in (first, reloaded):
        assert "Import report: batch.xlsx" in page
        assert "1 records: 1 accepted, 0 rejected." in page
    assert import_counts(client)["accepted"] == counted["accepted"] + 1  # imported once


def test_provider_upload_report_too_big_for_a_cookie_says_what_it_left_out(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = site
    token = CSRF.search(sign_in(client, keys["acme"]))
    assert token is not None
    bad = [
        [
            f"B{n:04d}",
            f"Broken Row {n}",
            "EM",
            "online",
            "2030-01-01",
            "2030-06-30",
            "https://example.org/b",
            "free",
            2,
            "yes",
            2,
            uuid.uuid4().hex,
            "Nephrology",
        ]
        for n in range(400)
    ]  # fmt: skip  (credit types that do not compress)
    files = {"file": ("big.xlsx", xlsx_bytes([HEADER, *bad]), "application/octet-stream")}
    page = client.post("/provider/upload", data={"csrf": token.group(1)}, files=files).text
    assert "400 records: 0 accepted, 400 rejected." in page
    assert re.search(r"The first \d+ of 400 problems are shown; \d+ more are not listed", page)
    assert len(client.cookies.get("moc_upload_report") or "") < 4000


def upload_file(client: TestClient, keys: dict[str, str], name: str, data: bytes) -> str:
    """The page after uploading a file as the signed-in provider acme."""
    token = CSRF.search(sign_in(client, keys["acme"]))
    assert token is not None
    files = {"file": (name, data, "application/octet-stream")}
    return client.post("/provider/upload", data={"csrf": token.group(1)}, files=files).text


SURROGATE = (
    "must be valid Unicode text: it holds \\ud800, a lone UTF-16 surrogate (the text was "
    "encoded or escaped wrongly)"
)


@pytest.mark.parametrize(
    ("name", "data", "named"),
    [
        pytest.param("batch.jsonl",
                     json.dumps(make_record(title="Lipid \ud800 Course")).encode() + b"\n",
                     ["<td>line 1</td><td>title</td>", f"<td>{SURROGATE}</td>"], id="jsonl"),
        pytest.param("batch.xlsx",
                     xlsx_bytes([HEADER[:2], ["S1", "Lipid \ud800 Course"]]),
                     ['row 2: title (column "title"): holds a character XML does not allow'],
                     id="xlsx"),
    ],
)  # fmt: skip
def test_provider_upload_lone_surrogate_names_line_and_field(
    site: tuple[TestClient, dict[str, str]], name: str, data: bytes, named: list[str]
) -> None:
    """JSONL: the upload page answered 500."""
    client, keys = site
    page = html.unescape(upload_file(client, keys, name, data))
    for text in named:
        assert text in page


def test_provider_upload_says_first_problems_of_all(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = site
    page = upload_file(client, keys, "empty-lines.jsonl", b"{}\n" * 1500)
    assert "1500 records: 0 accepted, 1500 rejected." in page
    assert re.search(r"The first \d+ of 13,500 problems are shown", page)


def test_provider_upload_of_an_unknown_kind_of_file_says_how_to_name_it(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    """It said "pass --format", a flag of the command line."""
    client, keys = site
    page = html.unescape(upload_file(client, keys, "listings.txt", b"provider_activity_id\n"))
    assert (
        "Cannot tell the format of 'listings.txt' from its name: it must end in .jsonl, .ndjson, "
        ".json, .csv, .xlsx or .xml. Nothing was written." in page
    )
    assert "--format" not in page


def session_cookie_of(client: TestClient) -> str:
    value = client.cookies.get("moc_provider")
    assert value
    return value


def with_cookie(client: TestClient, value: str) -> TestClient:
    """Another browser holding a copy of a session cookie."""
    other = TestClient(client.app, base_url="http://testserver")
    other.cookies.set("moc_provider", value, path="/provider")
    return other


def sign_out(client: TestClient) -> None:
    token = CSRF.search(client.get("/provider").text)
    assert token is not None
    response = client.post("/provider/sign-out", data={"csrf": token.group(1)},
                           follow_redirects=False)  # fmt: skip
    assert (response.status_code, response.headers["location"]) == (303, "/provider/sign-in")


def test_provider_pages_copied_cookie_is_dead_after_sign_out(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    """Sign-out ends the session on the server: a copy of the cookie no longer signs in."""
    client, keys = site
    sign_in(client, keys["acme"])
    copied = session_cookie_of(client)
    thief = with_cookie(client, copied)
    assert thief.get("/provider", follow_redirects=False).status_code == 200  # the copy works
    sign_out(client)
    assert client.get("/provider", follow_redirects=False).status_code == 303
    response = thief.get("/provider", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/provider/sign-in")
    assert thief.get("/provider/activities/HID", follow_redirects=False).status_code == 303


def test_provider_pages_each_sign_in_is_its_own_session(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    """Two sign-ins with the same key get different cookies; ending one keeps the other."""
    client, keys = site
    other = TestClient(client.app, base_url="http://testserver")
    sign_in(client, keys["acme"])
    sign_in(other, keys["acme"])
    assert session_cookie_of(client) != session_cookie_of(other)
    sign_out(client)
    assert other.get("/provider", follow_redirects=False).status_code == 200


def test_provider_pages_session_ends_after_its_max_age(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    """A session older than MAX_AGE_S no longer works, even with its cookie kept."""
    client, keys = site
    sign_in(client, keys["acme"])
    copied = session_cookie_of(client)
    assert client.get("/provider", follow_redirects=False).status_code == 200
    age_sessions(client, MAX_AGE_S + 1)
    assert client.get("/provider", follow_redirects=False).status_code == 303
    assert with_cookie(client, copied).get("/provider", follow_redirects=False).status_code == 303


def age_sessions(client: TestClient, seconds: int) -> None:
    """Move every stored session ``seconds`` into the past, as if that much time went by."""
    engine = make_engine(str(client.app.state.settings.catalog_url()))  # type: ignore[attr-defined]
    with session_scope(engine, write=True) as session:
        for row in session.exec(select(SignInSession)):
            row.created_at -= timedelta(seconds=seconds)
            row.expires_at -= timedelta(seconds=seconds)
            session.add(row)
    engine.dispose()


def test_provider_pages_revoked_key_ends_a_copied_session(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = site
    sign_in(client, keys["acme"])
    thief = with_cookie(client, session_cookie_of(client))
    engine = make_engine(str(client.app.state.settings.catalog_url()))  # type: ignore[attr-defined]
    with session_scope(engine, write=True) as session:
        revoke_keys(session, provider_id="acme")
    assert thief.get("/provider", follow_redirects=False).status_code == 303
    # A new key signs in again; the old session stays ended.
    with session_scope(engine, write=True) as session:
        new_key = create_key(session, provider_id="acme")
    engine.dispose()
    sign_in(client, new_key)
    assert client.get("/provider", follow_redirects=False).status_code == 200
    assert thief.get("/provider", follow_redirects=False).status_code == 303


def test_provider_pages_forged_or_foreign_cookies_do_not_sign_in(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = site
    sign_in(client, keys["acme"])
    value = session_cookie_of(client)
    sid, _, signature = value.rpartition("|")
    for forged in [f"{sid}|{'A' * len(signature)}", f"x{sid}|{signature}", "acme", "", "a|b|c"]:
        assert (
            with_cookie(client, forged).get("/provider", follow_redirects=False).status_code == 303
        )


def test_every_provider_page_is_no_store(site: tuple[TestClient, dict[str, str]]) -> None:
    """Pages under /provider list unlisted activities: no cache may keep any of them, nor
    their redirects and error pages."""
    client, keys = site
    anonymous = TestClient(client.app, base_url="http://testserver")
    answers = [
        anonymous.get("/provider/sign-in"),
        anonymous.get("/provider", follow_redirects=False),
        anonymous.get("/provider/activities/HID", follow_redirects=False),
        anonymous.post("/provider/sign-in", data={"key": keys["acme"], "csrf": "forged"}),
        anonymous.post("/provider/sign-in", data={}),  # fields missing: an error page
        anonymous.post("/provider/upload", files={"file": ("a.csv", b"x")}, follow_redirects=False),
        anonymous.get("/provider/no-such-page"),
    ]
    token = CSRF.search(sign_in(client, keys["acme"]))
    assert token is not None
    answers += [
        client.get("/provider"),
        client.get("/provider/activities/HID"),
        client.get("/provider/activities/RIV"),  # another provider's: not found
        client.post("/provider/upload", data={"csrf": token.group(1)},
                    files={"file": ("a.csv", b"not,a\nbatch,file\n")}, follow_redirects=False),
        client.post("/provider/upload", content=b"x" * 30_000_000,
                    headers={"content-type": "multipart/form-data; boundary=b"}),  # 413
        client.post("/provider/sign-out", data={"csrf": token.group(1)}, follow_redirects=False),
    ]  # fmt: skip
    statuses = sorted({a.status_code for a in answers})
    assert {200, 303, 404, 413} <= set(statuses), statuses
    for answer in answers:
        assert answer.headers.get("cache-control") == "no-store", (
            answer.request.method,
            answer.request.url.path,
            answer.status_code,
        )
    # Public pages keep their own caching: /providers/{id} is not under /provider.
    assert client.get("/providers/acme").headers.get("cache-control") != "no-store"


def test_provider_upload_of_unstated_length_over_the_limit_is_413(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    """A chunked body is counted as the signed-in upload reads it, and refused past the limit."""
    client, keys = site
    token = CSRF.search(sign_in(client, keys["acme"]))
    assert token is not None
    settings = client.app.state.settings  # type: ignore[attr-defined]
    limit = settings.max_upload_bytes + settings.max_body_bytes

    def body() -> Iterator[bytes]:
        yield (f'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token.group(1)}\r\n'
               '--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
               ).encode()  # fmt: skip
        piece = b"X1,a title\n" * 100_000
        for _ in range(limit // len(piece) + 1):
            yield piece
        yield b"\r\n--b--\r\n"

    response = client.post("/provider/upload", content=body(),
                           headers={"content-type": "multipart/form-data; boundary=b"})  # fmt: skip
    assert response.status_code == 413
    assert "The file is too large" in response.text
    assert "2 activities" in client.get("/provider").text  # nothing imported


def test_provider_upload_of_declared_length_over_the_limit_is_the_sites_page(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    """A stated Content-Length over the limit is refused before the body is read, with the
    site's error page (a person sent it from a form), not problem+json."""
    client, keys = site
    sign_in(client, keys["acme"])
    response = client.post("/provider/upload", content=b"x" * 30_000_000,
                           headers={"content-type": "multipart/form-data; boundary=b"})  # fmt: skip
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "The file is too large" in response.text
    api = client.post("/api/v1/providers/acme/imports", content=b"x" * 30_000_000,
                      headers={"authorization": f"Bearer {keys['acme']}"})  # fmt: skip
    assert api.status_code == 413
    assert api.headers["content-type"] == "application/problem+json"


def test_provider_upload_without_a_file_or_token_says_so(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = site
    token = CSRF.search(sign_in(client, keys["acme"]))
    assert token is not None
    no_file = client.post("/provider/upload", data={"csrf": token.group(1)})
    assert "Choose a file to upload." in no_file.text
    files = {"file": ("a.csv", b"provider_activity_id\n")}
    no_token = client.post("/provider/upload", files=files)
    assert "The form expired; please try again." in no_token.text
    assert "2 activities" in no_token.text  # nothing imported
