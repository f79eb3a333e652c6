"""Shared fixtures: the catalog on SQLite and on PostgreSQL, migrated once per run.

Each test gets a session inside a transaction that is rolled back afterwards (the polar and
Dispatch pattern), so tests can assert exact counts without cleaning up.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

from catalog import migrate
from catalog.db import make_engine
from catalog.providers import add_provider
from tests.meili_server import IN_CI, MeiliServer, start_server

# Tests may read the environment; the application never does outside Settings.
PG_ADMIN_URL = os.environ.get(
    "MOC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


def postgres_database() -> Iterator[str]:
    """Create a throw-away PostgreSQL database for this run and drop it afterwards."""
    # pool_pre_ping: tests/reliability restarts the server mid-run, and the DROP at the end
    # must not use the connection that restart closed.
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    name = f"moc_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means the server is not usable
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true but unusable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def backend_url(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'catalog.db'}"
    else:
        yield from postgres_database()


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database URL per backend (not migrated)."""
    yield from backend_url(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="session")
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head, once per run and backend."""
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    connection = db_engine.connect()
    transaction = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as db_session:
        yield db_session
    transaction.rollback()
    connection.close()


@pytest.fixture
def provider(session: Session) -> str:
    add_provider(session, provider_id="acme", name="ACME Medical Education")
    return "acme"


@pytest.fixture(scope="session")
def meili(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeiliServer]:
    """A live Meilisearch server for the whole session (skips locally without a binary)."""
    server = start_server(tmp_path_factory.mktemp("meilisearch"))
    try:
        yield server
    finally:
        server.stop()
