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
from catalog import migrate
from catalog.db import make_engine, session_scope
from catalog.providers import add_provider
from catalog.rules import parse_activity
from catalog.service import upsert_activity
from indexer.engines.tantivy import TantivyEngine
from indexer.rebuild import rebuild_index
from tests.contract.catalog_fixture import FIXTURE, PROVIDERS

PUBLIC = frozenset("ABCDEFGHIJKMN")
HIDDEN = {"X": "Cardiology Secrets", "Y": "Cardiology Update 2029", "Z": "Cardiology Without MOC"}
ENDED_DATES = {"start_date": "2025-01-01", "end_date": "2025-01-31"}
HTML_TITLE = "Tips & <b>Tricks</b> in Sleep"  # fixture M

Records = Sequence[tuple[str, dict[str, Any]]]


def fixture_records() -> list[tuple[str, dict[str, Any]]]:
    """The contract fixture with Y moved into the past."""
    return [
        (pid, record | ENDED_DATES if record["provider_activity_id"] == "Y" else record)
        for pid, record in FIXTURE
    ]


def build_site(
    data_dir: Path, extra: Records = (), extra_providers: Mapping[str, str] | None = None
) -> Settings:
    """Migrate, load the fixture (and any extra records) and index it; return the settings."""
    settings = Settings(data_dir=data_dir)
    db = make_engine(settings.catalog_url())
    migrate.upgrade(db)
    with session_scope(db) as session:
        for provider_id, name in {**PROVIDERS, **(extra_providers or {})}.items():
            add_provider(session, provider_id=provider_id, name=name)
        for provider_id, record in [*fixture_records(), *extra]:
            upsert_activity(session, provider_id=provider_id, data=parse_activity(record))
    engine = TantivyEngine(data_dir / "index")
    rebuild_index(db, engine, data_dir / "sync.lock")
    engine.close()
    db.dispose()
    return settings
