"""Every setting and every CLI command is documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import app
from api.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


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
