"""Migrations go from empty to head (and back) on both backends and match the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import catalog.models  # noqa: F401 - registers the tables
from catalog import migrate
from catalog.db import make_engine
from catalog.errors import SchemaNotReady
from tests.conftest import BACKENDS, backend_url

TABLES = {
    "provider",
    "provider_key",
    "activity",
    "moc_registration",
    "activity_specialty",
    "outbox",
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
