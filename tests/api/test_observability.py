"""Request ids, JSON access logs, Prometheus metrics and readiness, through the real app."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from api.app import create_app
from api.observability import JsonFormatter
from api.settings import Settings
from catalog import migrate
from catalog import repository as repo
from catalog.db import make_engine, session_scope
from catalog.providers import add_provider, create_key
from catalog.rules import parse_activity
from catalog.service import public_id, upsert_activity
from indexer.errors import EngineUnavailable
from tests.builders import make_record

DETAIL_TEMPLATE = "/api/v1/activities/{activity_id}"


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[tuple[FastAPI, TestClient, str]]:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings.catalog_url())
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        add_provider(session, provider_id="acme", name="ACME CME")
        upsert_activity(session, provider_id="acme", data=parse_activity(make_record()))
        key = create_key(session, provider_id="acme")
    engine.dispose()
    app = create_app(settings)
    with TestClient(app) as client:
        yield app, client, key


@pytest.fixture
def client(app_client: tuple[FastAPI, TestClient, str]) -> TestClient:
    return app_client[1]


def access_records(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "moc.access" and getattr(r, "request_id", None) == request_id
    ]


def test_request_id_echoed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123.DEF"})
    assert response.headers["x-request-id"] == "abc-123.DEF"


@pytest.mark.parametrize("given", [None, "has space", "x" * 129, "semi;colon"])
def test_request_id_generated_when_absent_or_insane(client: TestClient, given: str | None) -> None:
    headers = {"X-Request-ID": given} if given else {}
    first = client.get("/healthz", headers=headers).headers["x-request-id"]
    second = client.get("/healthz", headers=headers).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_request_id_on_problem_responses(client: TestClient) -> None:
    response = client.get("/api/v1/activities/nope", headers={"X-Request-ID": "req-404"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "req-404"


def test_one_json_log_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="moc.access"):
        client.get("/api/v1/activities/nope?x=1", headers={"X-Request-ID": "log-me"})
    records = access_records(caplog, "log-me")
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "log-me"
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/v1/activities/nope"
    assert entry["route"] == DETAIL_TEMPLATE
    assert entry["status"] == 404
    assert isinstance(entry["duration_ms"], float)
    assert entry["duration_ms"] >= 0


def test_logging_is_json_on_the_root_logger_once(tmp_path: Path) -> None:
    create_app(Settings(data_dir=tmp_path, log_level="WARNING"))
    create_app(Settings(data_dir=tmp_path, log_level="DEBUG"))
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
    assert len(ours) == 1
    assert logging.getLogger("moc").level == logging.DEBUG


def test_unexpected_error_logged_once_with_request_id(
    app_client: tuple[FastAPI, TestClient, str], caplog: pytest.LogCaptureFixture
) -> None:
    app, client, _ = app_client

    def boom() -> None:
        raise RuntimeError("kaboom")

    app.add_api_route("/boom", boom)
    with caplog.at_level(logging.INFO):
        response = client.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "req-500"
    assert "kaboom" not in response.text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert getattr(errors[0], "request_id", None) == "req-500"
    assert "kaboom" in json.loads(JsonFormatter().format(errors[0]))["exception"]
    [access] = access_records(caplog, "req-500")
    assert getattr(access, "status", None) == 500


def sample(text: str, name: str, labels: str = "") -> float:
    """The value of one sample of the exposition text (labels exactly as exposed)."""
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{labels} not in metrics"
    return float(match.group(1))


def test_metrics_request_histogram_by_route_template(client: TestClient) -> None:
    for _ in range(2):
        client.get(f"/api/v1/activities/{public_id('acme', 'CARD-1')}")
    client.get("/api/v1/activities/unknown")
    client.get("/no/such/page")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    name = "moc_http_request_duration_seconds_count"
    ok = f'{{method="GET",route="{DETAIL_TEMPLATE}",status="2xx"}}'
    missing = f'{{method="GET",route="{DETAIL_TEMPLATE}",status="4xx"}}'
    assert sample(text, name, ok) == 2
    assert sample(text, name, missing) == 1
    assert sample(text, name, '{method="GET",route="unmatched",status="4xx"}') == 1
    assert "/api/v1/activities/unknown" not in text  # raw paths never become labels
    assert "moc_http_request_duration_seconds_bucket{" in text


def test_metrics_search_histogram(client: TestClient) -> None:
    before = sample(client.get("/metrics").text, "moc_search_duration_seconds_count")
    assert client.get("/api/v1/activities").status_code == 200
    after = sample(client.get("/metrics").text, "moc_search_duration_seconds_count")
    assert after == before + 1


def test_metrics_outbox_depth_and_lag(app_client: tuple[FastAPI, TestClient, str]) -> None:
    app, client, _ = app_client
    app.state.background_sync.close()  # hold the outbox still
    engine = app.state.engine
    with session_scope(engine, write=True) as session:
        depth = repo.count_outbox(session)
        old = datetime.now(UTC) - timedelta(minutes=5)
        repo.record_changes(session, [("a1", "acme", "upsert"), ("a2", "acme", "delete")], old)
    text = client.get("/metrics").text
    assert sample(text, "moc_outbox_depth") == depth + 2
    assert 300 <= sample(text, "moc_outbox_lag_seconds") < 3600
    with session_scope(engine, write=True) as session:
        repo.delete_outbox(session, repo.outbox_ids(session))
    text = client.get("/metrics").text
    assert sample(text, "moc_outbox_depth") == 0
    assert sample(text, "moc_outbox_lag_seconds") == 0


def test_metrics_import_counts(app_client: tuple[FastAPI, TestClient, str]) -> None:
    _, client, key = app_client
    lines = [
        json.dumps(make_record(provider_activity_id="NEW-1")),
        json.dumps(make_record(provider_activity_id="NEW-2")),
        json.dumps(make_record(provider_activity_id="BAD", activity_type="nonsense")),
    ]
    response = client.post(
        "/api/v1/providers/acme/imports?format=jsonl&partial=true",
        content="\n".join(lines).encode(),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 422
    assert response.json()["accepted"] == 2
    text = client.get("/metrics").text
    assert sample(text, "moc_import_records_total", '{result="accepted"}') == 2
    assert sample(text, "moc_import_records_total", '{result="rejected"}') == 1


def test_metrics_not_in_openapi_and_registries_are_per_app(
    client: TestClient, tmp_path: Path
) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
    one, two = create_app(Settings(data_dir=tmp_path)), create_app(Settings(data_dir=tmp_path))
    assert one.state.metrics.registry is not two.state.metrics.registry


def test_readyz_503_names_the_catalog_and_recovers(
    app_client: tuple[FastAPI, TestClient, str],
    tmp_path: Path,
) -> None:
    app, client, _ = app_client
    (tmp_path / "a-directory").mkdir()
    unreachable = create_engine(f"sqlite:///{tmp_path / 'a-directory'}")  # cannot be opened
    working = app.state.engine
    app.state.engine = unreachable
    try:
        response = client.get("/readyz")
    finally:
        app.state.engine = working
        unreachable.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["unavailable"] == ["catalog"]
    assert "catalog" in response.json()["detail"]
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "catalog": "ok", "search": "tantivy"}


def test_readyz_503_names_the_search_engine(
    app_client: tuple[FastAPI, TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client, _ = app_client

    def down() -> None:
        raise EngineUnavailable("down")

    monkeypatch.setattr(app.state.search.engine, "ping", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["unavailable"] == ["search"]
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200
