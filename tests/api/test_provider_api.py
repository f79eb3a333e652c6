"""Provider endpoints through the real app: the authorisation matrix, writes, visibility."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from api.app import create_app
from api.settings import Settings
from catalog import migrate
from catalog.db import make_engine, session_scope
from catalog.providers import add_provider, create_key, revoke_keys
from catalog.rules import parse_activity
from catalog.service import public_id, upsert_activity
from tests.builders import make_record

BASE = "/api/v1/providers/acme/activities"


@pytest.fixture
def app_keys(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str | None]]]:
    settings = Settings(data_dir=tmp_path)
    db = make_engine(settings.catalog_url())
    migrate.upgrade(db)
    with session_scope(db) as session:
        add_provider(session, provider_id="acme", name="ACME CME")
        add_provider(session, provider_id="other", name="Other CME")
        keys: dict[str, str | None] = {
            "none": None,
            "wrong": "moc_not-a-real-key",
            "revoked": create_key(session, provider_id="acme"),
        }
        revoke_keys(session, provider_id="acme", prefix=keys["revoked"])
        keys["other"] = create_key(session, provider_id="other")
        keys["own"] = create_key(session, provider_id="acme")
        upsert_activity(session, provider_id="acme", data=parse_activity(make_record(
            provider_activity_id="EXISTING")))  # fmt: skip
        upsert_activity(session, provider_id="other", data=parse_activity(make_record(
            provider_activity_id="THEIRS", listed=False)))  # fmt: skip
    db.dispose()
    with TestClient(create_app(settings)) as client:
        yield client, keys


def call(client: TestClient, method: str, path: str, key: str | None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.request(method, path, headers=headers, json=body)


ENDPOINTS = [
    pytest.param("PUT", f"{BASE}/NEW", {"own": 201}, id="put"),
    pytest.param("DELETE", f"{BASE}/EXISTING", {"own": 204}, id="delete"),
    pytest.param("GET", BASE, {"own": 200}, id="list"),
    pytest.param("POST", "/api/v1/providers/acme/imports?format=jsonl", {"own": 200}, id="import"),
]
KEYS = {"none": 401, "wrong": 401, "revoked": 401, "other": 403}


@pytest.mark.parametrize(("method", "path", "own"), ENDPOINTS)
@pytest.mark.parametrize("who", ["none", "wrong", "revoked", "other", "own"])
def test_provider_api_authorisation_matrix(
    app_keys: tuple[TestClient, dict[str, str | None]],
    method: str,
    path: str,
    own: dict[str, int],
    who: str,
) -> None:
    client, keys = app_keys
    body = make_record(provider_activity_id="NEW") if method == "PUT" else None
    if method == "POST":
        headers = {"Authorization": f"Bearer {keys[who]}"} if keys[who] else {}
        response = client.post(path, headers=headers, content=jsonl(make_record()))
    else:
        response = call(client, method, path, keys[who], body)
    expected = own["own"] if who == "own" else KEYS[who]
    assert response.status_code == expected
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == expected
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_provider_api_other_providers_unlisted_looks_missing(
    app_keys: tuple[TestClient, dict[str, str | None]],
) -> None:
    client, keys = app_keys
    theirs = call(client, "DELETE", f"{BASE}/THEIRS", keys["own"])
    missing = call(client, "DELETE", f"{BASE}/NEVER", keys["own"])
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json()["title"] == missing.json()["title"]
    listed = call(client, "GET", BASE, keys["own"]).json()["activities"]
    assert [a["provider_activity_id"] for a in listed] == ["EXISTING"]


def test_provider_api_put_is_idempotent_and_searchable_within_a_second(
    app_keys: tuple[TestClient, dict[str, str | None]],
) -> None:
    client, keys = app_keys
    record = make_record(provider_activity_id="FRESH", title="Freshly Put Lipidology")
    first = call(client, "PUT", f"{BASE}/FRESH", keys["own"], record)
    again = call(client, "PUT", f"{BASE}/FRESH", keys["own"], record)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["updated_at"] == again.json()["updated_at"]
    assert first.json()["id"] == public_id("acme", "FRESH")
    deadline = time.monotonic() + 1.0
    total = 0
    while time.monotonic() < deadline and total == 0:
        total = client.get("/api/v1/activities", params={"q": "lipidology"}).json()["total"]
        time.sleep(0.05)
    assert total == 1


@pytest.mark.parametrize(
    ("overrides", "public", "reasons"),
    [
        pytest.param({}, True, [], id="public"),
        pytest.param({"registration": "limited"}, True,
                     ["registration limited: shown with a notice"], id="limited"),
        pytest.param({"listed": False}, False, ["not listed by provider"], id="unlisted"),
        pytest.param({"moc": []}, False, ["no MOC registration"], id="no-moc"),
        pytest.param({"start_date": "2024-01-01", "end_date": "2024-01-02"}, False, ["ended"],
                     id="ended"),
        pytest.param({"listed": False, "moc": []}, False,
                     ["not listed by provider", "no MOC registration"], id="two-reasons"),
    ],
)  # fmt: skip
def test_provider_api_visibility_reasons(
    app_keys: tuple[TestClient, dict[str, str | None]],
    overrides: dict[str, Any],
    public: bool,
    reasons: list[str],
) -> None:
    client, keys = app_keys
    body = make_record(provider_activity_id="V", **overrides)
    put = call(client, "PUT", f"{BASE}/V", keys["own"], body).json()
    assert put["visibility"] == {"public": public, "reasons": reasons}
    listed = {
        a["provider_activity_id"]: a
        for a in call(client, "GET", BASE, keys["own"]).json()["activities"]
    }
    assert listed["V"]["visibility"] == {"public": public, "reasons": reasons}


def test_provider_api_put_errors(app_keys: tuple[TestClient, dict[str, str | None]]) -> None:
    client, keys = app_keys
    mismatch = call(client, "PUT", f"{BASE}/A", keys["own"], make_record(provider_activity_id="B"))
    assert mismatch.status_code == 422
    assert [e["field"] for e in mismatch.json()["errors"]] == ["provider_activity_id"]
    bad = call(
        client,
        "PUT",
        f"{BASE}/A",
        keys["own"],
        make_record(provider_activity_id="A", cme_credits=1.3, url="ftp://x"),
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["cme_credits", "url"]
    assert (
        call(client, "GET", BASE, keys["own"]).json()["activities"][0]["provider_activity_id"]
        == "EXISTING"
    )


def jsonl(*records: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def upload(
    client: TestClient, key: str | None, data: bytes, query: str = "", **headers: str
) -> Any:
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(
        f"/api/v1/providers/acme/imports{query}", content=data, headers=auth | headers
    )


def test_provider_api_import_report_all_or_nothing_and_partial(
    app_keys: tuple[TestClient, dict[str, str | None]],
) -> None:
    client, keys = app_keys
    mixed = jsonl(
        make_record(provider_activity_id="I1"), make_record(provider_activity_id="I2", fee="maybe")
    )
    refused = upload(client, keys["own"], mixed, **{"Content-Type": "application/x-ndjson"})
    assert refused.status_code == 422
    assert refused.json() == {
        "ok": False, "records": 2, "accepted": 1, "rejected": 1, "written": None,
        "rejections": [
            {"locator": "line 2", "field": "fee", "message": "must be one of: yes, free, variable"},
        ],
        "rejections_total": 1,
    }  # fmt: skip
    own = [
        a["provider_activity_id"]
        for a in call(client, "GET", BASE, keys["own"]).json()["activities"]
    ]
    assert own == ["EXISTING"]
    partial = upload(client, keys["own"], mixed, "?partial=true&format=jsonl")
    assert partial.json()["written"] == {"created": 1, "updated": 0, "unchanged": 0, "deleted": 0}
    good = upload(
        client, keys["own"], jsonl(make_record(provider_activity_id="I1")), "?filename=batch.jsonl"
    )
    assert (good.status_code, good.json()["written"]) == (
        200,
        {"created": 0, "updated": 0, "unchanged": 1, "deleted": 0},
    )


def test_provider_api_import_refuses_unreadable_and_unknown_format(
    app_keys: tuple[TestClient, dict[str, str | None]],
) -> None:
    client, keys = app_keys
    unknown = upload(client, keys["own"], b"x", **{"Content-Type": "application/octet-stream"})
    assert unknown.status_code == 422
    assert "format" in unknown.json()["detail"]
    bad_csv = upload(client, keys["own"], b"title,colour\n", "?format=csv")
    assert (bad_csv.status_code, bad_csv.json()["detail"]) == (
        422, "unknown column(s): 'colour'; see the README for the CSV columns",
    )  # fmt: skip


def test_provider_api_import_too_large_is_413(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, max_upload_bytes=1000)
    db = make_engine(settings.catalog_url())
    migrate.upgrade(db)
    with session_scope(db) as session:
        add_provider(session, provider_id="acme", name="ACME CME")
        key = create_key(session, provider_id="acme")
    db.dispose()
    with TestClient(create_app(settings)) as client:
        big = jsonl(*(make_record(provider_activity_id=f"B{i}") for i in range(5)))
        response = upload(client, key, big, "?format=jsonl")
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        as_part = client.post(
            "/api/v1/providers/acme/imports",
            headers={"Authorization": f"Bearer {key}"},
            files={"file": ("big.jsonl", big, "application/x-ndjson")},
        )
        assert as_part.status_code == 413  # the file's limit holds for a multipart part too
        listed = call(client, "GET", BASE, key).json()["activities"]
        assert listed == []


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        pytest.param({}, "send your provider key as `Authorization: Bearer <key>`", id="none"),
        pytest.param({"X-API-Key": "moc_abc"},
                     "send your provider key as `Authorization: Bearer <key>`, not X-API-Key",
                     id="x-api-key"),
        pytest.param({"Authorization": "moc_abc"},
                     "the Authorization header must read `Bearer <key>`", id="no-scheme"),
        pytest.param({"Authorization": "Basic YTpi"},
                     "the Authorization header must read `Bearer <key>`", id="basic"),
        pytest.param({"Authorization": "Bearer moc_not-a-real-key"},
                     "this provider key is not valid or has been revoked", id="wrong-key"),
    ],
)  # fmt: skip
def test_provider_api_401_says_how_to_authenticate(
    app_keys: tuple[TestClient, dict[str, str | None]], headers: dict[str, str], says: str
) -> None:
    client, _ = app_keys
    response = client.get(BASE, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith(says)
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="moc-catalog"')
    assert ('error="invalid_token"' in challenge) == ("wrong" in says or "not valid" in says)


def test_openapi_declares_the_provider_key_scheme(
    app_keys: tuple[TestClient, dict[str, str | None]],
) -> None:
    client, _ = app_keys
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert list(schemes) == ["ProviderKey"]
    assert (schemes["ProviderKey"]["type"], schemes["ProviderKey"]["scheme"]) == ("http", "bearer")
    assert "Authorization: Bearer moc_" in schemes["ProviderKey"]["description"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            secured = operation.get("security") == [{"ProviderKey": []}]
            assert secured == path.startswith("/api/v1/providers/{provider_id}/"), (method, path)


CSV_BATCH = (
    b"provider_activity_id,title,activity_type,format,start_date,end_date,url,fee,cme_credits,"
    b"ABIM points,ABIM credit types,ABIM practice areas\n"
    b"MP1,Multipart Lipid Course,course,online,2030-01-01,2030-01-02,https://example.org/mp1,"
    b"free,2,2,MK,Nephrology\n"
)


@pytest.mark.parametrize(
    ("query", "filename", "media"),
    [
        pytest.param("", "listings.csv", "application/octet-stream", id="by-filename"),
        pytest.param("", "upload", "text/csv", id="by-part-type"),
        pytest.param("?format=csv", "upload.bin", "application/octet-stream", id="by-query"),
    ],
)
def test_provider_api_imports_a_multipart_file(
    app_keys: tuple[TestClient, dict[str, str | None]], query: str, filename: str, media: str
) -> None:
    """What `curl -F file=@listings.csv` sends: the file is one part of a multipart body."""
    client, keys = app_keys
    response = client.post(
        f"/api/v1/providers/acme/imports{query}",
        headers={"Authorization": f"Bearer {keys['own']}"},
        files={"file": (filename, CSV_BATCH, media)},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["accepted"], response.json()["written"]["created"]) == (1, 1)


def test_provider_api_multipart_without_a_file_says_how_to_send_one(
    app_keys: tuple[TestClient, dict[str, str | None]],
) -> None:
    client, keys = app_keys
    response = client.post(
        "/api/v1/providers/acme/imports?format=csv",
        headers={"Authorization": f"Bearer {keys['own']}"},
        data={"note": "no file here"},
        files={"other": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 422
    assert "-F file=@" in response.json()["detail"]


SURROGATE = (
    "must be valid Unicode text: it holds \\ud800, a lone UTF-16 surrogate (the text was "
    "encoded or escaped wrongly)"
)


def workbook_bytes(*rows: list[str]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


PARS_TITLE = (
    b"<ACCMEActivities>\n<MedicalEducationMetrics><ActivityDescription><lom><general>"
    b"<identifier><catalog>Provider Activity ID</catalog><entry>S1</entry></identifier>\n"
    b"<title>Lipid &#xD800; Course</title></general></lom></ActivityDescription>"
    b"</MedicalEducationMetrics></ACCMEActivities>\n"
)


@pytest.mark.parametrize(
    ("fmt", "body", "rejection"),
    [
        pytest.param("jsonl", json.dumps(make_record(title="Lipid \ud800 Course")).encode(),
                     {"locator": "line 1", "field": "title", "message": SURROGATE}, id="jsonl"),
        pytest.param("csv", "provider_activity_id,title\nS1,Lipid \ud800 Course\n".encode(
                         "utf-8", "surrogatepass"),
                     {"locator": "row 2", "field": 'title (column "title")', "message": SURROGATE},
                     id="csv"),
    ],
)  # fmt: skip
def test_provider_api_import_lone_surrogate_is_a_rejection_naming_line_and_field(
    app_keys: tuple[TestClient, dict[str, str | None]],
    fmt: str,
    body: bytes,
    rejection: dict[str, str],
) -> None:
    """JSONL: a 500 ("unable to parse raw data as a unicode string"), the whole file failing
    without a line. CSV: 422 for the whole file, "not valid UTF-8 (byte 35)"."""
    client, keys = app_keys
    response = upload(client, keys["own"], body, f"?format={fmt}")
    assert response.status_code == 422
    assert response.json()["rejections"] == [rejection]


@pytest.mark.parametrize(
    ("fmt", "body", "detail"),
    [
        pytest.param("xlsx", workbook_bytes(["provider_activity_id", "title"],
                                            ["S1", "Lipid \ud800 Course"]),
                     'row 2: title (column "title"): holds a character XML does not allow',
                     id="xlsx"),
        pytest.param("xml", PARS_TITLE,
                     'activity 1 (line 2): title (element "general/title"): holds a character '
                     "XML does not allow", id="pars-xml"),
    ],
)  # fmt: skip
def test_provider_api_import_lone_surrogate_in_xml_names_where_the_file_broke(
    app_keys: tuple[TestClient, dict[str, str | None]], fmt: str, body: bytes, detail: str
) -> None:
    """XML takes no lone surrogate, so the file cannot be read past one; the error named only
    a line and column of the XML ("the sheet cannot be read (... line 1, column 579)")."""
    client, keys = app_keys
    response = upload(client, keys["own"], body, f"?format={fmt}")
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)


def test_provider_api_put_lone_surrogate_is_422_naming_the_field(
    app_keys: tuple[TestClient, dict[str, str | None]],
) -> None:
    """It was a 500: the rules passed it, and pydantic refused it after them."""
    client, keys = app_keys
    body = json.dumps(make_record(provider_activity_id="S1", title="Lipid \ud800 Course"))
    response = client.put(
        f"{BASE}/S1", content=body,
        headers={"Authorization": f"Bearer {keys['own']}", "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "title", "message": SURROGATE}]


def test_provider_api_import_report_lists_the_first_1000_problems(
    app_keys: tuple[TestClient, dict[str, str | None]],
) -> None:
    """300,000 lines of {} answered a 204 MB report."""
    client, keys = app_keys
    response = upload(client, keys["own"], b"{}\n" * 1500, "?format=jsonl")
    assert response.status_code == 422
    report = response.json()
    assert (report["records"], report["rejected"], report["rejections_total"]) == (
        1500, 1500, 1500 * 9
    )  # fmt: skip
    assert len(report["rejections"]) == 1000
    assert len(response.content) < 120_000


@pytest.mark.parametrize(
    ("settings", "detail"),
    [
        pytest.param({"import_max_records": 3},
                     "the file holds more than 3 records, the most one import may hold; split "
                     "it into smaller files", id="records"),
        pytest.param({"import_timeout_s": 0.01},
                     "reading and checking the file took longer than 0.01 seconds, the most one "
                     "import may take; split it into smaller files", id="time"),
    ],
)  # fmt: skip
def test_provider_api_import_past_a_limit_is_422_naming_it(
    tmp_path: Path, settings: dict[str, Any], detail: str
) -> None:
    config = Settings(data_dir=tmp_path, **settings)
    db = make_engine(config.catalog_url())
    migrate.upgrade(db)
    with session_scope(db) as session:
        add_provider(session, provider_id="acme", name="ACME CME")
        key = create_key(session, provider_id="acme")
    db.dispose()
    records = jsonl(*(make_record(provider_activity_id=f"L{i}") for i in range(2000)))
    with TestClient(create_app(config)) as client:
        response = upload(client, key, records, "?format=jsonl")
        assert (response.status_code, response.json()["detail"]) == (422, detail)
        assert call(client, "GET", BASE, key).json()["activities"] == []


@pytest.mark.parametrize(
    ("fmt", "body", "detail"),
    [
        pytest.param("jsonl", b"", "the file holds no records", id="jsonl"),
        pytest.param("jsonl", b"\n\n", "the file holds no records", id="blank-jsonl"),
        pytest.param("csv", b"provider_activity_id\n", "the file holds no records", id="csv"),
        pytest.param("csv", b"", "the file is empty: expected a header row", id="empty-csv"),
    ],
)
def test_provider_api_import_of_no_records_is_422(
    app_keys: tuple[TestClient, dict[str, str | None]], fmt: str, body: bytes, detail: str
) -> None:
    """An empty JSONL was 200 "ok" (nothing written) where an empty CSV was 422."""
    client, keys = app_keys
    response = upload(client, keys["own"], body, f"?format={fmt}")
    assert (response.status_code, response.json()["detail"]) == (422, detail)
