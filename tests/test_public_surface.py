"""Each package's ``__all__`` is exactly what the other packages import from it.

The httpx discipline (tests/test_exported_members.py there): the public surface is declared
in the package and a test keeps the declaration and the use in line, so a new cross-package
import is a deliberate addition to ``__all__`` and a name nobody uses leaves it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("catalog", "indexer", "web", "api")
# Used from outside the product's code: the `moc-catalog` script and uvicorn's factory.
ENTRY_POINTS = {"api": {"app_from_env", "create_app", "main"}}


def imported_across() -> dict[str, set[str]]:
    """For each package, the names the other packages import from it (or its modules)."""
    used: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    target = node.module.split(".")[0]
                    if target in PACKAGES and target != package:
                        used[target] |= {alias.name for alias in node.names}
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        assert alias.name.split(".")[0] not in set(PACKAGES) - {package}, (
                            f"{path}: import {alias.name}; import names from the package instead"
                        )
    return used


@pytest.mark.parametrize("package", PACKAGES)
def test_other_packages_import_only_the_public_surface(package: str) -> None:
    declared = set(importlib.import_module(package).__all__)
    assert imported_across()[package] <= declared


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_used_by_another_package(package: str) -> None:
    declared = set(importlib.import_module(package).__all__)
    assert declared - ENTRY_POINTS.get(package, set()) <= imported_across()[package]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves_to_its_definition(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        found = getattr(module, name)  # raises when a name's home does not define it
        if isinstance(found, ModuleType):
            home = found.__name__
        elif inspect.isclass(found) or inspect.isfunction(found):
            home = found.__module__
        else:
            continue  # a constant or an alias: resolving it is the check
        assert home.split(".")[0] == package, f"{package}.{name} comes from {home}"
