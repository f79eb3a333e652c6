"""Every setting, CLI command and CSV column is documented in the README; every Activity
field and topic in docs/activity.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import app
from api.settings import Settings
from catalog.importers.csv import ACTIVITY_COLUMNS, BOARD_COLUMNS
from catalog.reference import reference
from catalog.schemas import ActivityIn

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ACTIVITY_DOC = (ROOT / "docs" / "activity.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_docs_every_setting_in_readme(name: str) -> None:
    assert f"MOC_{name.upper()}" in README


def commands() -> list[str]:
    found = [c.name for c in app.registered_commands]
    found += [
        f"{g.name} {c.name}"
        for g in app.registered_groups
        for c in g.typer_instance.registered_commands
    ]  # type: ignore[union-attr]
    return sorted(str(c) for c in found)


@pytest.mark.parametrize("command", commands())
def test_docs_every_command_in_readme(command: str) -> None:
    assert f"moc-catalog {command}" in README


def csv_columns() -> list[str]:
    plain = [c.header for c in ACTIVITY_COLUMNS]
    return plain + [f"<BOARD> {c.header}" for c in BOARD_COLUMNS]


@pytest.mark.parametrize("column", csv_columns())
def test_docs_every_csv_column_in_readme_table(column: str) -> None:
    """catalog/importers/csv.py declares the columns once; the README's table lists each."""
    table = README.split("### CSV", 1)[1].split("### XLSX", 1)[0]
    assert f"`{column}`" in table


@pytest.mark.parametrize("field", sorted(ActivityIn.model_fields))
def test_docs_every_activity_field_in_the_activity_doc(field: str) -> None:
    assert f"`{field}`" in ACTIVITY_DOC


@pytest.mark.parametrize("key", sorted(reference().topics))
def test_docs_every_topic_in_the_activity_doc(key: str) -> None:
    assert f"`{key}`" in ACTIVITY_DOC
