"""Batch imports: check every record, then write all of them (or, when partial, the valid ones).

All-or-nothing is the default: one rejected record means nothing is written, so a provider
can fix the file and send it again without working out what already went in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from catalog.errors import InvalidActivity
from catalog.importers import Record
from catalog.repository import refresh_statistics
from catalog.rules import parse_activity
from catalog.schemas import ActivityIn
from catalog.service import WriteSummary, require_provider, upsert_activities

WRITE_BATCH = 2000


@dataclass(frozen=True)
class Rejection:
    """One problem of one rejected record."""

    locator: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.locator}: {where}{self.message}"


@dataclass
class ImportReport:
    """What an import found and did."""

    records: int = 0
    accepted: int = 0
    rejected_records: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    written: WriteSummary = field(default_factory=WriteSummary)

    @property
    def ok(self) -> bool:
        return self.rejected_records == 0


def check_records(records: Iterable[Record], report: ImportReport) -> list[ActivityIn]:
    """Validate every record, adding its problems to the report; return the valid activities."""
    valid: list[ActivityIn] = []
    first_seen: dict[str, str] = {}
    for record in records:
        report.records += 1
        problems = _problems(record)
        activity = None
        if not problems:
            try:
                activity = parse_activity(record.data)
            except InvalidActivity as exc:
                problems = [
                    Rejection(record.locator, record.describe(e.field), e.message)
                    for e in exc.errors
                ]
        if activity is not None:
            earlier = first_seen.setdefault(activity.provider_activity_id, record.locator)
            if earlier != record.locator:
                problems = [
                    Rejection(
                        record.locator,
                        "provider_activity_id",
                        f"appears more than once in this file (first at {earlier})",
                    )
                ]
        if problems:
            report.rejected_records += 1
            report.rejections.extend(problems)
        else:
            assert activity is not None
            valid.append(activity)
    report.accepted = len(valid)
    return valid


def _problems(record: Record) -> list[Rejection]:
    if record.problem is None:
        return []
    return [Rejection(record.locator, record.problem.field, record.problem.message)]


def import_records(
    session: Session,
    *,
    provider_id: str,
    records: Iterable[Record],
    partial: bool = False,
    now: datetime | None = None,
    on_written: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check and write a batch for one provider; write nothing on any rejection unless partial."""
    require_provider(session, provider_id)
    report = ImportReport()
    valid = check_records(records, report)
    if not report.ok and not partial:
        return report
    for start in range(0, len(valid), WRITE_BATCH):
        batch = valid[start : start + WRITE_BATCH]
        done = upsert_activities(session, provider_id=provider_id, items=batch, now=now)
        report.written.created += done.created
        report.written.updated += done.updated
        report.written.unchanged += done.unchanged
        if on_written:
            on_written(len(batch))
        if start == 0 and len(valid) > WRITE_BATCH:
            refresh_statistics(session)
    return report
