"""GET /api/v1/changes: a partner's mirror built from the feed equals the public catalog.

Each test that writes gets its own catalog and app (the contract fixture, Y re-dated into the
past so it has ended relative to the real today). Writes go through catalog.service, outside
the app, and the app's own sync is drained before its search index is read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from catalog import repository as repo
from catalog.db import make_engine, session_scope
from catalog.rules import parse_activity
from catalog.service import delete_activity, public_id, upsert_activity
from indexer.sync import Syncer
from tests.builders import build_catalog, make_record
from tests.contract.catalog_fixture import ENDED_DATES, PROVIDERS, fixture_ended_y, id_of, key_of

CHANGES = "/api/v1/changes"
PUBLIC = set("ABCDEFGHIJKMN")
RECORDS = {record["provider_activity_id"]: (pid, record) for pid, record in fixture_ended_y()}


@dataclass
class Catalog:
    """A running app over its own catalog, and the catalog's engine for writes."""

    client: TestClient
    db: Engine
    data_dir: Path

    def write(self, *records: dict[str, Any], provider_id: str = "acme") -> None:
        with session_scope(self.db) as session:
            for record in records:
                upsert_activity(session, provider_id=provider_id, data=parse_activity(record))

    def delete(self, provider_activity_id: str, provider_id: str = "acme") -> None:
        with session_scope(self.db) as session:
            delete_activity(
                session, provider_id=provider_id, provider_activity_id=provider_activity_id
            )

    def settle(self) -> None:
        """Apply the outbox to the app's own index (the background sync may help meanwhile)."""
        app = self.client.app
        assert isinstance(app, FastAPI)
        syncer = Syncer(
            db=app.state.engine,
            engine=app.state.search.engine,
            lock_path=self.data_dir / "sync.lock",
        )
        deadline = time.monotonic() + 5
        while True:
            syncer.drain()
            with session_scope(self.db) as session:
                if repo.count_outbox(session) == 0:
                    return
            assert time.monotonic() < deadline, "the outbox did not drain within 5 s"
            time.sleep(0.05)

    def public_ids(self) -> set[str]:
        """The public catalog by the catalog's own public statement."""
        with session_scope(self.db) as session:
            rows = session.execute(repo.public_activities(date.today()))
            return {row.id for row in rows}


@contextmanager
def open_catalog(data_dir: Path) -> Iterator[Catalog]:
    """Load and index the fixture under ``data_dir`` and serve it."""
    settings = build_catalog(data_dir, RECORDS.values(), PROVIDERS)
    db = make_engine(settings.catalog_url())
    with TestClient(create_app(settings)) as client:
        yield Catalog(client, db, data_dir)
    db.dispose()


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    """A catalog of its own, for a test that writes."""
    with open_catalog(tmp_path) as opened:
        yield opened


@pytest.fixture(scope="module")
def untouched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    """A catalog shared by the tests that only read."""
    with open_catalog(tmp_path_factory.mktemp("changes")) as opened:
        yield opened


@dataclass
class Mirror:
    """A partner's copy of the public catalog, kept by following the feed."""

    activities: dict[str, dict[str, Any]]
    cursor: str = "0"

    def follow(self, client: TestClient, limit: int = 3) -> list[tuple[str, str]]:
        """Consume the feed from the cursor while has_more; return the (op, id) applied."""
        applied: list[tuple[str, str]] = []
        while True:
            response = client.get(CHANGES, params={"since": self.cursor, "limit": limit})
            assert response.status_code == 200
            body = response.json()
            assert list(body) == ["changes", "next", "has_more"]
            assert len(body["changes"]) <= limit
            cursors = [int(change["cursor"]) for change in body["changes"]]
            assert cursors == sorted(set(cursors))
            assert all(int(self.cursor) < c <= int(body["next"]) for c in cursors)
            for change in body["changes"]:
                assert list(change) == ["cursor", "op", "id", "activity"]
                if change["op"] == "upsert":
                    assert change["activity"]["id"] == change["id"]
                    self.activities[change["id"]] = change["activity"]
                else:
                    assert (change["op"], change["activity"]) == ("remove", None)
                    self.activities.pop(change["id"], None)
                applied.append((change["op"], change["id"]))
            self.cursor = body["next"]
            if not body["has_more"]:
                break
        # Activities leave without an entry when they end (api.md): drop those.
        today = date.today().isoformat()
        for activity_id in [i for i, a in self.activities.items() if a["end_date"] < today]:
            del self.activities[activity_id]
        return applied


def assert_mirror_is_public_catalog(catalog: Catalog, mirror: Mirror) -> None:
    client = catalog.client
    searched = client.get("/api/v1/activities", params={"per_page": 100}).json()
    assert searched["total"] == len(searched["hits"])
    public = {hit["id"] for hit in searched["hits"]}
    assert public == catalog.public_ids()
    assert set(mirror.activities) == public
    for activity_id, activity in mirror.activities.items():
        assert activity == client.get(f"/api/v1/activities/{activity_id}").json()


def test_changes_mirror_follows_every_kind_of_write(catalog: Catalog) -> None:
    client = catalog.client
    mirror = Mirror({})
    first = mirror.follow(client)
    # Y was public when written but has ended since: it is served as a (harmless) remove.
    assert [op for op, _ in first] == ["upsert"] * 13 + ["remove"]
    assert first[-1] == ("remove", id_of("Y"))
    assert sorted(key_of(i) for _, i in first[:-1]) == sorted(PUBLIC)
    assert_mirror_is_public_catalog(catalog, mirror)
    assert client.get(CHANGES, params={"since": mirror.cursor}).json() == {
        "changes": [], "next": mirror.cursor, "has_more": False,
    }  # fmt: skip

    detail_b = f"/api/v1/activities/{id_of('B')}"
    etag_before = client.get(detail_b).headers["etag"]
    new = make_record(provider_activity_id="NEW1", title="Lipid Management Update")
    secret = make_record(provider_activity_id="SECRET2", title="Unlisted Lipid Day", listed=False)
    changed = RECORDS["B"][1] | {"title": "Heart Failure Masterclass, Second Edition"}
    unlisted = RECORDS["G"][1] | {"listed": False}
    catalog.write(new, secret, changed, unlisted)
    catalog.delete("J")
    catalog.settle()

    second = mirror.follow(client)
    assert second == [
        ("upsert", public_id("acme", "NEW1")),
        ("upsert", id_of("B")),
        ("remove", id_of("G")),
        ("remove", id_of("J")),
    ]
    assert public_id("acme", "SECRET2") not in {i for _, i in first + second}
    assert mirror.activities[id_of("B")]["title"] == "Heart Failure Masterclass, Second Edition"
    assert_mirror_is_public_catalog(catalog, mirror)
    assert len(mirror.activities) == 13 + 1 - 2
    assert client.get(detail_b).headers["etag"] != etag_before
    assert client.get(detail_b, headers={"If-None-Match": etag_before}).status_code == 200


def test_changes_fresh_mirror_from_zero_after_writes(catalog: Catalog) -> None:
    catalog.write(RECORDS["A"][1] | {"listed": False}, RECORDS["X"][1] | {"listed": True})
    catalog.delete("H")
    catalog.settle()
    # A's upsert (the first entry) is no longer served: a page may be empty yet have more.
    page = catalog.client.get(CHANGES, params={"since": "0", "limit": "1"}).json()
    assert (page["next"], page["has_more"]) == ("1", True)
    assert ("upsert", id_of("A")) not in [(c["op"], c["id"]) for c in page["changes"]]
    mirror = Mirror({})
    applied = mirror.follow(catalog.client, limit=2)
    assert ("upsert", id_of("A")) not in applied
    assert ("upsert", id_of("H")) not in applied
    assert_mirror_is_public_catalog(catalog, mirror)
    assert sorted(key_of(i) for i in mirror.activities) == sorted(PUBLIC - {"A", "H"} | {"X"})


def test_changes_relisted_activity_comes_back(catalog: Catalog) -> None:
    mirror = Mirror({})
    mirror.follow(catalog.client)
    catalog.write(RECORDS["C"][1] | {"listed": False}, provider_id="kids")
    catalog.settle()
    assert mirror.follow(catalog.client) == [("remove", id_of("C"))]
    catalog.write(
        RECORDS["C"][1] | {"title": "Pediatric Asthma Review, Relisted"}, provider_id="kids"
    )
    catalog.settle()
    assert mirror.follow(catalog.client) == [("upsert", id_of("C"))]
    assert_mirror_is_public_catalog(catalog, mirror)


def test_changes_unchanged_rewrite_adds_no_entry(catalog: Catalog) -> None:
    mirror = Mirror({})
    mirror.follow(catalog.client)
    catalog.write(RECORDS["M"][1])
    catalog.settle()
    assert mirror.follow(catalog.client) == []


def test_changes_activity_ending_today_is_public_and_yesterday_is_not(catalog: Catalog) -> None:
    today = date.today()
    days = {"TODAY1": today, "PAST1": today - timedelta(days=1)}
    catalog.write(
        *(
            make_record(
                provider_activity_id=key,
                title=f"Lipid Clinic {key}",
                start_date=(end - timedelta(days=3)).isoformat(),
                end_date=end.isoformat(),
            )
            for key, end in days.items()
        )
    )
    catalog.settle()
    mirror = Mirror({})
    applied = mirror.follow(catalog.client)
    assert ("upsert", public_id("acme", "TODAY1")) in applied
    assert ("upsert", public_id("acme", "PAST1")) not in applied
    assert_mirror_is_public_catalog(catalog, mirror)
    found = catalog.client.get("/api/v1/activities", params={"q": "lipid clinic"}).json()
    assert [hit["id"] for hit in found["hits"]] == [public_id("acme", "TODAY1")]
    assert catalog.client.get(f"/api/v1/activities/{public_id('acme', 'PAST1')}").status_code == 404
    provider = catalog.client.get("/api/v1/providers/acme").json()
    assert provider["listed_activities"] == 7 + 1


def test_changes_activity_redated_into_the_past_leaves_mirror(catalog: Catalog) -> None:
    mirror = Mirror({})
    mirror.follow(catalog.client)
    assert id_of("K") in mirror.activities
    catalog.write(RECORDS["K"][1] | ENDED_DATES, provider_id="gas")
    catalog.settle()
    mirror.follow(catalog.client)
    assert_mirror_is_public_catalog(catalog, mirror)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"since": "abc"}, "since", id="since-not-a-number"),
        pytest.param({"since": "-1"}, "since", id="since-negative"),
        pytest.param({"since": "1" * 19}, "since", id="since-too-long"),
        pytest.param({"limit": "0"}, "limit", id="limit-0"),
        pytest.param({"limit": "1001"}, "limit", id="limit-over-1000"),
        pytest.param({"limit": "ten"}, "limit", id="limit-not-a-number"),
    ],
)
def test_changes_invalid_parameter_is_422_problem(
    untouched: Catalog, params: dict[str, str], field: str
) -> None:
    response = untouched.client.get(CHANGES, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"since": "abc"},
                     "must be a cursor: the `next` of the previous answer, or 0 to start",
                     id="since"),
        pytest.param({"limit": "ten"}, "must be a whole number from 1 to 1000", id="limit"),
    ],
)  # fmt: skip
def test_changes_errors_are_plain_words(
    untouched: Catalog, params: dict[str, str], message: str
) -> None:
    """No regular expression or pydantic wording reaches a partner."""
    body = untouched.client.get(CHANGES, params=params).json()
    assert [e["message"] for e in body["errors"]] == [message]


def test_changes_default_limit_and_cursor_past_the_end(untouched: Catalog) -> None:
    body = untouched.client.get(CHANGES).json()
    assert (len(body["changes"]), body["has_more"]) == (14, False)
    last = body["next"]
    # Y has ended since it was written: its upsert is served as a remove, and comes last.
    assert body["changes"][-1] == {
        "cursor": last,
        "op": "remove",
        "id": id_of("Y"),
        "activity": None,
    }
    beyond = str(int(last) + 100)
    assert untouched.client.get(CHANGES, params={"since": beyond}).json() == {
        "changes": [], "next": beyond, "has_more": False,
    }  # fmt: skip
