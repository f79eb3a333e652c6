"""Load the demo catalog through the same write path as imports: rules, upsert, outbox."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, select

from catalog.bulk import rare_collections
from catalog.db import session_scope
from catalog.demo import DemoProvider, demo_activities, demo_providers
from catalog.importers import Record
from catalog.imports import WRITE_BATCH, ImportReport, check_records
from catalog.models import Provider
from catalog.providers import add_provider
from catalog.repository import refresh_statistics
from catalog.schemas import ActivityIn
from catalog.service import WriteSummary, write_activities

Progress = Callable[[int], None]


def load_demo(
    engine: Engine,
    *,
    activities: int,
    seed: int,
    today: date,
    on_checked: Progress | None = None,
    on_written: Progress | None = None,
) -> WriteSummary:
    """Generate, check and write a demo catalog in one transaction; return what was written."""
    with rare_collections():
        return _load(engine, activities, seed, today, on_checked, on_written)


def _load(
    engine: Engine,
    activities: int,
    seed: int,
    today: date,
    on_checked: Progress | None,
    on_written: Progress | None,
) -> WriteSummary:
    pairs = list(_checked_pairs(activities, seed, today, on_checked or _ignore))
    total = WriteSummary()
    with session_scope(engine, write=True) as session:
        _ensure_providers(session, demo_providers(activities, seed))
        for start in range(0, len(pairs), WRITE_BATCH):
            done = write_activities(session, pairs[start : start + WRITE_BATCH])
            total.created += done.created
            total.updated += done.updated
            total.unchanged += done.unchanged
            (on_written or _ignore)(done.created + done.updated + done.unchanged)
            if start == 0:
                refresh_statistics(session)
    return total


def _ignore(_count: int) -> None:
    return None


def _checked_pairs(
    activities: int, seed: int, today: date, on_checked: Progress
) -> Iterator[tuple[str, ActivityIn]]:
    """Run every generated record through the import rules, provider by provider."""
    by_provider: dict[str, list[Record]] = defaultdict(list)
    for number, (provider_id, raw) in enumerate(demo_activities(activities, seed, today), 1):
        by_provider[provider_id].append(Record(f"demo record {number}", data=raw))
    for provider_id, records in by_provider.items():
        report = ImportReport()
        valid = check_records(records, report).activities
        if not report.ok:
            raise AssertionError(f"the demo generator made a bad record: {report.rejections[0]}")
        on_checked(len(valid))
        yield from ((provider_id, activity) for activity in valid)


def _ensure_providers(session: Session, providers: list[DemoProvider]) -> None:
    existing = set(session.exec(select(Provider.id)).all())
    for provider in providers:
        if provider.id not in existing:
            add_provider(
                session,
                provider_id=provider.id,
                name=provider.name,
                accreditor=provider.accreditor,
            )
