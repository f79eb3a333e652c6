"""An unreachable catalog database is a 503 that says so, not a 500 (in-process).

tests/reliability/test_database_restart.py checks the same against a real PostgreSQL restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api import problems
from catalog.service import public_id
from tests.builders import app_with_one_activity

ACTIVITY = public_id("acme", "CARD-1")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    application = app_with_one_activity(tmp_path / "data")
    with TestClient(application):  # runs the lifespan, which opens the catalog
        yield application


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def database_down(app: FastAPI, tmp_path: Path) -> Iterator[None]:
    """The app's engine swapped for one whose every connection attempt fails."""
    (tmp_path / "a-directory").mkdir()
    unreachable: Engine = create_engine(f"sqlite:///{tmp_path / 'a-directory'}")
    working = app.state.engine
    app.state.engine = unreachable
    yield
    app.state.engine = working
    unreachable.dispose()


@pytest.mark.parametrize("path", [f"/api/v1/activities/{ACTIVITY}", "/api/v1/providers/acme"])
@pytest.mark.usefixtures("database_down")
def test_api_answers_503_problem_naming_the_catalog(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == str(problems.DATABASE_RETRY_AFTER_S)
    body = response.json()
    assert body["unavailable"] == ["catalog"]
    assert "catalog database is unavailable" in body["detail"]


@pytest.mark.parametrize("path", [f"/activities/{ACTIVITY}", "/providers/acme"])
@pytest.mark.usefixtures("database_down")
def test_pages_answer_a_readable_503_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == str(problems.DATABASE_RETRY_AFTER_S)
    assert "<h1>The catalog is unavailable</h1>" in response.text
    assert 'href="/"' in response.text


def test_recovers_when_the_database_answers_again(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "a-directory").mkdir()
    working = app.state.engine
    app.state.engine = create_engine(f"sqlite:///{tmp_path / 'a-directory'}")
    assert client.get(f"/api/v1/activities/{ACTIVITY}").status_code == 503
    app.state.engine.dispose()
    app.state.engine = working
    assert client.get(f"/api/v1/activities/{ACTIVITY}").status_code == 200


def test_other_database_errors_stay_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise IntegrityError("SELECT 1", {}, Exception("a bug, not an outage"))

    monkeypatch.setattr("api.routes.activities.get_public_activity", broken)
    response = client.get(f"/api/v1/activities/{ACTIVITY}")
    assert response.status_code == 500
    assert "retry-after" not in response.headers


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (OperationalError("SELECT 1", {}, Exception("connection refused")), True),
        (InterfaceError("SELECT 1", {}, Exception("connection already closed")), True),
        (DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
        (PoolTimeout("QueuePool limit reached"), True),
        (IntegrityError("INSERT", {}, Exception("duplicate key")), False),
        (DBAPIError("SELECT 1", {}, Exception("syntax error")), False),
    ],
)
def test_which_database_errors_mean_unavailable(error: Exception, unavailable: bool) -> None:
    assert problems.database_unavailable(error) is unavailable
