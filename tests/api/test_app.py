"""The ASGI app over a real SQLite catalog: health, detail, problem+json errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from catalog import migrate
from catalog.db import make_engine, session_scope
from catalog.providers import add_provider, create_key
from catalog.rules import parse_activity
from catalog.service import public_id, upsert_activity
from tests.builders import make_record


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings.catalog_url())
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        add_provider(session, provider_id="acme", name="ACME CME")
        upsert_activity(session, provider_id="acme", data=parse_activity(make_record()))
        hidden = make_record(provider_activity_id="HIDDEN", listed=False)
        upsert_activity(session, provider_id="acme", data=parse_activity(hidden))
    engine.dispose()
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "catalog": "ok", "search": "tantivy"}


def test_activity_detail_listed(client: TestClient) -> None:
    response = client.get(f"/api/v1/activities/{public_id('acme', 'CARD-1')}")
    body = response.json()
    assert response.status_code == 200
    assert body["title"] == "Cardiology Update"
    assert body["provider"] == {"id": "acme", "name": "ACME CME"}
    assert body["moc"][0]["credit_types"] == ["MK", "PS"]


@pytest.mark.parametrize("provider_activity_id", ["HIDDEN", "NEVER-EXISTED"])
def test_activity_detail_unlisted_or_unknown_is_404_problem(
    client: TestClient, provider_activity_id: str
) -> None:
    response = client.get(f"/api/v1/activities/{public_id('acme', provider_activity_id)}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404
    assert "HIDDEN" not in response.text


def test_app_refuses_unmigrated_catalog(tmp_path: Path) -> None:
    from catalog.errors import SchemaNotReady

    with pytest.raises(SchemaNotReady), TestClient(create_app(Settings(data_dir=tmp_path))):
        pass


def test_app_without_sync_in_app_reads_what_a_separate_worker_indexes(tmp_path: Path) -> None:
    """MOC_SYNC_IN_APP=false: no background sync; writes wait for the worker, then show."""
    from indexer.engines.tantivy import TantivyEngine
    from indexer.sync import Syncer

    settings = Settings(data_dir=tmp_path, sync_in_app=False, rate_limit_per_minute=0)
    engine = make_engine(settings.catalog_url())
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        add_provider(session, provider_id="acme", name="ACME CME")
        key = create_key(session, provider_id="acme")
    with TestClient(create_app(settings)) as client:
        assert client.app.state.background_sync is None  # type: ignore[attr-defined]
        record = make_record(provider_activity_id="SOLO", title="Separately Synced Lipidology")
        put = client.put(
            "/api/v1/providers/acme/activities/SOLO",
            json=record,
            headers={"Authorization": f"Bearer {key}"},
        )
        assert put.status_code == 201
        assert search_total(client, "lipidology") == 0  # nothing syncs inside the app
        # The worker owns its own engine, as the `moc-catalog sync` process would.
        worker = Syncer(engine, TantivyEngine(tmp_path / "index"), tmp_path / "sync.lock")
        assert worker.drain() == 1
        deadline = time.monotonic() + 10  # the app's reader reloads on the commit
        while search_total(client, "lipidology") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert search_total(client, "lipidology") == 1
    engine.dispose()


def search_total(client: TestClient, q: str) -> int:
    response = client.get("/api/v1/activities", params={"q": q})
    assert response.status_code == 200
    return int(response.json()["total"])
