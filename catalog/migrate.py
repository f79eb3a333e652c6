"""Schema migrations (Alembic), run from code: ``moc-catalog db upgrade`` and the tests."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from catalog.errors import SchemaNotReady


def alembic_config(connection: Connection | None = None) -> Config:
    """Build the Alembic config for the shipped migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("catalog") / "migrations"))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def check_schema(engine: Engine) -> None:
    """Raise SchemaNotReady unless the database is at the newest migration."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "empty" if current is None else f"at {current}, not {head}"
        raise SchemaNotReady(f"the catalog database is {state}: run `moc-catalog db upgrade`")
