"""Load the demo catalog through the same write path as imports (rules, upsert, outbox)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from catalog.db import session_scope
from catalog.demo import DemoProvider, demo_activities, demo_providers
from catalog.importers import Record
from catalog.imports import import_records
from catalog.models import Provider
from catalog.providers import add_provider
from catalog.service import WriteSummary


def load_demo(
    engine: Engine,
    *,
    activities: int,
    seed: int,
    today: date,
    on_written: Callable[[int], None] | None = None,
) -> WriteSummary:
    """Generate and write a demo catalog in one transaction; return what was written."""
    by_provider: dict[str, list[Record]] = defaultdict(list)
    for number, (provider_id, raw) in enumerate(demo_activities(activities, seed, today), 1):
        by_provider[provider_id].append(Record(f"demo record {number}", data=raw))
    total = WriteSummary()
    with session_scope(engine) as session:
        _ensure_providers(session, demo_providers(activities, seed))
        for provider_id, records in by_provider.items():
            report = import_records(
                session, provider_id=provider_id, records=records, on_written=on_written
            )
            if not report.ok:
                raise AssertionError(
                    f"the demo generator made a bad record: {report.rejections[0]}"
                )
            total.created += report.written.created
            total.updated += report.written.updated
            total.unchanged += report.written.unchanged
    return total


def _ensure_providers(session: Session, providers: list[DemoProvider]) -> None:
    for provider in providers:
        if session.get(Provider, provider.id) is None:
            add_provider(session, provider_id=provider.id, name=provider.name)
