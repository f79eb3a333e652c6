"""Issue 14 through the real app: a PARS XML file using every new element goes import -> API ->
export -> import and stays the same activity; the provider PUT, the changes feed and the
provider profile carry the new fields."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from catalog.db import make_engine, session_scope
from catalog.providers import create_key
from catalog.service import public_id
from tests.api.test_changes import Catalog
from tests.builders import build_catalog, make_record
from tests.pars_sample import EVERY_ELEMENT, EXPECTED

PROVIDER = "bra"
NAME = "Boston Regional Anesthesia Education"
IMPORTS = f"/api/v1/providers/{PROVIDER}/imports"
ACTIVITY_ID = public_id(PROVIDER, "PS-2030")
READ_ONLY = ("created_at", "updated_at")


def open_catalog(data_dir: Path) -> tuple[Catalog, str, Engine]:
    settings = build_catalog(data_dir, [], {PROVIDER: NAME}, {PROVIDER: "state:MA"})
    db = make_engine(settings.catalog_url())
    with session_scope(db) as session:
        key = create_key(session, provider_id=PROVIDER)
    return Catalog(TestClient(create_app(settings)), db, data_dir), key, db


@pytest.fixture
def catalogs(tmp_path: Path) -> Iterator[list[tuple[Catalog, str]]]:
    """Two separate catalogs of the same provider, each served by its own app."""
    opened = [open_catalog(tmp_path / name) for name in ("first", "second")]
    with opened[0][0].client, opened[1][0].client:
        yield [(catalog, key) for catalog, key, _ in opened]
    for _, _, db in opened:
        db.dispose()


def upload(catalog: Catalog, key: str, body: bytes, fmt: str) -> dict[str, Any]:
    response = catalog.client.post(
        IMPORTS, params={"format": fmt}, content=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def detail(catalog: Catalog) -> dict[str, Any]:
    response = catalog.client.get(f"/api/v1/activities/{ACTIVITY_ID}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_pars_file_round_trips_import_api_export_import(
    catalogs: list[tuple[Catalog, str]],
) -> None:
    (first, first_key), (second, second_key) = catalogs
    report = upload(first, first_key, EVERY_ELEMENT, "xml")
    assert (report["ok"], report["written"]["created"]) == (True, 1)
    first.settle()

    shown = detail(first)
    assert {k: shown[k] for k in EXPECTED} == EXPECTED

    export = first.client.get("/api/v1/activities/export.ndjson")
    [line] = export.text.splitlines()
    assert json.loads(line) == shown

    # The exported line, imported again as JSONL, is the same activity: unchanged here ...
    again = upload(first, first_key, line.encode() + b"\n", "jsonl")
    assert again["written"] == {"created": 0, "updated": 0, "unchanged": 1, "deleted": 0}
    # ... and identical in a catalog of its own.
    moved = upload(second, second_key, line.encode() + b"\n", "jsonl")
    assert moved["written"]["created"] == 1
    copied = detail(second)
    assert {k: v for k, v in copied.items() if k not in READ_ONLY} == {
        k: v for k, v in shown.items() if k not in READ_ONLY
    }


def test_changes_feed_and_provider_profile_carry_the_new_fields(
    catalogs: list[tuple[Catalog, str]],
) -> None:
    (first, key), _ = catalogs
    upload(first, key, EVERY_ELEMENT, "xml")
    changes = first.client.get("/api/v1/changes", params={"since": "0"}).json()["changes"]
    [entry] = [c for c in changes if c["id"] == ACTIVITY_ID]
    assert {k: entry["activity"][k] for k in EXPECTED} == EXPECTED
    profile = first.client.get(f"/api/v1/providers/{PROVIDER}").json()
    assert profile == {
        "id": PROVIDER,
        "name": NAME,
        "accreditor": "state:MA",
        "listed_activities": 1,
    }


def aba_record(**overrides: Any) -> dict[str, Any]:
    return (
        make_record(
            provider_activity_id="ABA-1",
            cme_credits=6,
            specialties=["anesthesiology"],
            moc=[
                {
                    "board": "ABA",
                    "points": 6,
                    "credit_types": ["PS"],
                    "practice_areas": ["General Operative Anesthesia"],
                    "content_outline": ["Common Complications"],
                }
            ],
        )
        | overrides
    )


def test_put_takes_the_new_fields_and_the_outline_is_required_only_when_new(
    catalogs: list[tuple[Catalog, str]],
) -> None:
    (first, key), _ = catalogs
    url = f"/api/v1/providers/{PROVIDER}/activities/ABA-1"
    auth = {"Authorization": f"Bearer {key}"}
    without_outline = aba_record()
    del without_outline["moc"][0]["content_outline"]
    refused = first.client.put(url, json=without_outline, headers=auth)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "moc.0.content_outline",
            "message": "must list 1-2 areas of the ABA MOCA content outline for a new ABA "
            "registration",
        }
    ]
    record = aba_record(
        providership="joint",
        joint_providers=["Massachusetts Society of Anesthesiologists"],
        commercial_support=[{"name": "Keystone Medical Devices", "kind": "in_kind"}],
        mips=True,
        topics=["risk_management"],
        accme_activity_id="200000777",
    )
    created = first.client.put(url, json=record, headers=auth)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["moc"][0]["credit_types"] == ["LL", "PS"]
    assert (body["providership"], body["joint_providers"], body["topics"]) == (
        "joint",
        ["Massachusetts Society of Anesthesiologists"],
        ["risk_management"],
    )
    # The registration is in the catalog now: an update without the outline is accepted.
    updated = first.client.put(url, json=without_outline, headers=auth)
    assert updated.status_code == 200, updated.text
    assert updated.json()["moc"][0]["content_outline"] == []
