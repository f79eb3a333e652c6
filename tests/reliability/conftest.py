"""A deployment per test: a fresh catalog (PostgreSQL unless the test asks for SQLite), a data
directory for the index, one provider with a key, and the processes the test starts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from catalog import migrate
from catalog.db import make_engine, session_scope
from catalog.providers import add_provider, create_key
from tests.conftest import postgres_database
from tests.reliability.processes import Deployment, Processes

PROVIDER = "acme"


@pytest.fixture
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """A migrated catalog with one provider. Parametrize indirectly with "sqlite" or
    "postgresql" (the default, as in production) to choose the catalog database."""
    backend = getattr(request, "param", "postgresql")
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = Processes(logs)
    with ExitStack() as stack:
        url = f"sqlite:///{tmp_path / 'catalog.db'}"
        if backend == "postgresql":
            url = stack.enter_context(contextmanager(postgres_database)())
        db = make_engine(url)
        stack.callback(db.dispose)
        # Registered last, so it runs first: no process outlives its database.
        stack.callback(processes.kill_all)
        migrate.upgrade(db)
        with session_scope(db, write=True) as session:
            add_provider(session, provider_id=PROVIDER, name="ACME Medical Education")
            key = create_key(session, provider_id=PROVIDER)
        yield Deployment(tmp_path / "data", url, db, processes, PROVIDER, key)
