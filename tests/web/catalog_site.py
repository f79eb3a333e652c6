"""The contract catalog behind the real app, for the page tests and the browser tests.

The catalog is the hand-written contract fixture (13 public activities A-N; X unlisted, Z
without MOC) with Y re-dated into the past, so it has ended relative to the real today the
app uses; every other fixture date lies in 2029-2031, so those activities are current. It goes
through the real write path (rules, SQLite catalog, outbox) and the real tantivy index, as in
tests/api/test_routes.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from api.settings import Settings
from tests.builders import build_catalog
from tests.contract.catalog_fixture import PROVIDERS, fixture_ended_y

PUBLIC = frozenset("ABCDEFGHIJKMN")
HIDDEN = {"X": "Cardiology Secrets", "Y": "Cardiology Update 2029", "Z": "Cardiology Without MOC"}
HTML_TITLE = "Tips & <b>Tricks</b> in Sleep"  # fixture M

Records = Sequence[tuple[str, dict[str, Any]]]


def build_site(
    data_dir: Path, extra: Records = (), extra_providers: Mapping[str, str] | None = None
) -> Settings:
    """Migrate, load the fixture (and any extra records) and index it; return the settings."""
    providers = {**PROVIDERS, **(extra_providers or {})}
    return build_catalog(data_dir, [*fixture_ended_y(), *extra], providers)
