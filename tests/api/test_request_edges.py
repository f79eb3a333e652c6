"""Odd requests through the real app (SQLite catalog, tantivy): every one gets an answer that
names the parameter or field and the problem, never a silent guess or a 500.

A body a JSON parser cannot read, a parameter given twice, digits that are not ASCII, text that
would break a line, and a free-text state that would become a public facet value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from catalog.db import make_engine, session_scope
from catalog.providers import create_key
from tests.builders import build_catalog, make_record

PUT = "/api/v1/providers/acme/activities/CARD-9"
TORONTO = {"city": "Toronto", "state": "ON", "postal_code": "M5V 2T6", "country": "CA"}


@pytest.fixture(scope="module")
def app_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    """A catalog of two activities, one in Pennsylvania and one in Ontario, and a key."""
    records = [
        ("acme", make_record()),
        ("acme", make_record(provider_activity_id="CARD-2", location=TORONTO)),
    ]
    settings = build_catalog(tmp_path_factory.mktemp("edges"), records, {"acme": "ACME CME"})
    db = make_engine(settings.catalog_url())
    with session_scope(db, write=True) as session:
        key = create_key(session, provider_id="acme")
    db.dispose()
    with TestClient(create_app(Settings(data_dir=settings.data_dir))) as client:
        yield client, key


@pytest.fixture(scope="module")
def client(app_key: tuple[TestClient, str]) -> TestClient:
    return app_key[0]


def put(app_key: tuple[TestClient, str], body: bytes) -> Any:
    client, key = app_key
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return client.put(PUT, content=body, headers=headers)


def record_json(**overrides: Any) -> str:
    return json.dumps(make_record(provider_activity_id="CARD-9", **overrides))


def field_errors(response: Any) -> list[tuple[str, str]]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return [(e["field"], e["message"]) for e in response.json().get("errors", [])]


# -- bodies ------------------------------------------------------------------------------------


def test_a_number_too_long_to_read_is_named_by_its_field(app_key: tuple[TestClient, str]) -> None:
    body = record_json().replace('"cme_credits": 6.5', '"cme_credits": ' + "1" * 5000)
    response = put(app_key, body.encode())
    assert response.status_code == 422, response.text
    assert field_errors(response) == [("cme_credits", "must be a number")]  # as 1e999 is


def test_a_body_that_is_not_utf8_says_where(app_key: tuple[TestClient, str]) -> None:
    body = record_json().encode().replace(b"Cardiology Update", b"Cardiology \xff Update")
    offset = body.index(b"\xff")
    response = put(app_key, body)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail == f"the body is not UTF-8: byte 0xff at line 1, column {offset + 1}"


def test_a_body_that_is_not_json_says_what_and_where(app_key: tuple[TestClient, str]) -> None:
    body = '{"title": "x",\n}'
    with pytest.raises(json.JSONDecodeError) as parsed:
        json.loads(body)
    response = put(app_key, body.encode())
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail == f"the body is not JSON: {parsed.value.msg} at line 2, column 1"


@pytest.mark.parametrize("text", ["Cardiology\rUpdate", "Cardiology\u2028Update"])
def test_a_line_break_in_a_title_is_refused_by_name(
    app_key: tuple[TestClient, str], text: str
) -> None:
    response = put(app_key, record_json(title=text).encode())
    assert response.status_code == 422
    assert field_errors(response) == [("title", "must be one line, without control characters")]


def test_a_registration_url_with_a_password_is_refused(app_key: tuple[TestClient, str]) -> None:
    response = put(app_key, record_json(url="https://user:pass@example.org/x").encode())
    assert response.status_code == 422
    assert field_errors(response) == [
        ("url", "must not hold a user name or password (user:password@)")
    ]


# -- parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/changes?since=0&since=5", "since"),
        ("/api/v1/changes?limit=5&limit=10", "limit"),
        ("/api/v1/activities?page=1&page=2", "page"),
        ("/api/v1/activities?q=heart&q=lung", "q"),
        ("/api/v1/activities?registration=open&registration=limited", "registration"),
    ],
)
def test_a_single_valued_parameter_given_twice_is_refused(
    client: TestClient, path: str, name: str
) -> None:
    response = client.get(path)
    assert response.status_code == 422, response.text
    assert field_errors(response) == [(name, "give this parameter once")]


def test_a_single_valued_import_parameter_given_twice_is_refused(
    app_key: tuple[TestClient, str],
) -> None:
    client, key = app_key
    response = client.post(
        "/api/v1/providers/acme/imports?format=jsonl&partial=false&partial=true",
        content=record_json().encode() + b"\n",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 422, response.text
    assert field_errors(response) == [("partial", "give this parameter once")]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/changes?since=%EF%BC%91%EF%BC%92", "since"),  # full-width 12
        ("/api/v1/changes?since=5%0A", "since"),  # a trailing newline
        ("/api/v1/changes?limit=%EF%BC%95", "limit"),  # full-width 5
        ("/api/v1/changes?limit=%C2%B2", "limit"),  # superscript two: isdigit(), not int()
        ("/api/v1/activities?page=%C2%B2", "page"),
        ("/api/v1/activities?per_page=%EF%BC%95", "per_page"),
        ("/api/v1/activities?min_credits=%EF%BC%95", "min_credits"),
        ("/api/v1/activities?min_credits=1_0", "min_credits"),
    ],
)
def test_numbers_are_ascii_digits(client: TestClient, path: str, name: str) -> None:
    response = client.get(path)
    assert response.status_code == 422, response.text
    assert [f for f, _ in field_errors(response)] == [name]


# -- facets ----------------------------------------------------------------------------------


def test_the_state_facet_offers_only_values_it_can_filter_by(client: TestClient) -> None:
    body = client.get("/api/v1/activities").json()
    assert "CA" in [v["value"] for v in body["facets"]["country"]]
    states = [v["value"] for v in body["facets"]["state"]]
    assert states == ["PA"]  # Ontario's "ON" is not a US state code: not a state filter value
    assert client.get("/api/v1/activities", params={"state": "PA"}).status_code == 200
