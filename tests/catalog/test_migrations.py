"""Migrations go from empty to head (and back) on both backends and match the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel

import catalog.models  # noqa: F401 - registers the tables
from catalog import migrate
from catalog.db import make_engine
from catalog.errors import SchemaNotReady
from catalog.models import Provider
from catalog.service import get_provider_activity
from tests.conftest import BACKENDS, backend_url

TABLES = {
    "provider",
    "provider_key",
    "activity",
    "moc_registration",
    "activity_specialty",
    "outbox",
    "provider_session",
}


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    for url in backend_url(request.param, tmp_path):
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_migrations_empty_to_head_match_models(empty_engine: Engine) -> None:
    with pytest.raises(SchemaNotReady, match="empty"):
        migrate.check_schema(empty_engine)
    migrate.upgrade(empty_engine)
    migrate.check_schema(empty_engine)
    assert TABLES <= set(inspect(empty_engine).get_table_names())
    with empty_engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}),
            SQLModel.metadata,
        )
    assert diff == []


def test_migrations_downgrade_to_base_and_up_again(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert not TABLES & set(inspect(empty_engine).get_table_names())
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_migration_0006_gives_earlier_rows_the_defaults(empty_engine: Engine) -> None:
    """Rows written before the PARS fields existed read back with the rules' defaults."""
    migrate.upgrade(empty_engine, "0003")
    now = "2026-11-01 00:00:00+00:00"
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO provider (id, name, created_at, updated_at) VALUES (:id, :n, :t, :t)"
            ),
            {"id": "acme", "n": "ACME CME", "t": now},
        )
        connection.execute(
            text(
                "INSERT INTO activity (id, provider_id, provider_activity_id, title, activity_type,"
                " format, start_date, end_date, cme_credits, listed, registration, content_hash,"
                " created_at, updated_at) VALUES ('a1', 'acme', 'A1', 'Old Activity', 'course',"
                " 'online', '2030-01-01', '2030-01-02', 2, :yes, 'open', 'x', :t, :t)"
            ),
            {"t": now, "yes": True},
        )
        connection.execute(
            text(
                "INSERT INTO moc_registration (activity_id, position, board, points, credit_types,"
                " practice_areas) VALUES ('a1', 0, 'ABA', 2, '[\"LL\"]', '[\"Trauma\"]')"
            )
        )
    migrate.upgrade(empty_engine)
    with Session(empty_engine) as session:
        stored = get_provider_activity(session, provider_id="acme", provider_activity_id="A1")
        assert session.get(Provider, "acme").accreditor == "ACCME"  # type: ignore[union-attr]
    assert stored.model_dump(
        include={"accme_activity_id", "providership", "joint_providers", "commercial_support",
                 "rems", "mips", "topics"}
    ) == {"accme_activity_id": None, "providership": "direct", "joint_providers": [],
          "commercial_support": [], "rems": False, "mips": False, "topics": []}  # fmt: skip
    assert stored.moc[0].content_outline == []
    # Going back keeps the rows too (a table copy on SQLite would cascade-delete them).
    migrate.downgrade(empty_engine, "0003")
    with empty_engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM moc_registration")).scalar_one()
    assert count == 1
