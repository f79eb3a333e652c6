"""Batch imports: check every record, then write all of them (or, when partial, the valid ones).

All-or-nothing is the default: one rejected record means nothing is written, so a provider
can fix the file and send it again without working out what already went in. A record may
also ask to delete an activity (``Record.delete``); deleting one that does not exist is a
rejection like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from catalog.errors import InvalidActivity
from catalog.fields import Problems, as_text
from catalog.importers import Record
from catalog.repository import find_states, refresh_statistics
from catalog.rules import PROVIDER_ACTIVITY_ID, Registered, parse_activity
from catalog.schemas import ActivityIn
from catalog.service import (
    WriteSummary,
    delete_activity,
    public_id,
    registered_in_catalog,
    require_provider,
    upsert_activities,
)

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
    deleted: int = 0

    @property
    def ok(self) -> bool:
        return self.rejected_records == 0


@dataclass(frozen=True)
class Deletion:
    """A checked request to delete one of the provider's activities (a PARS Delete action)."""

    locator: str
    provider_activity_id: str
    field: str  # provider_activity_id, with the column or element it came from


@dataclass
class CheckedRecords:
    """The valid records of a batch: activities to create or replace, and deletions."""

    activities: list[ActivityIn] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)


def check_records(
    records: Iterable[Record],
    report: ImportReport,
    *,
    exists: Callable[[str], bool] | None = None,
    registered: Registered | None = None,
) -> CheckedRecords:
    """Validate every record, adding its problems to the report; return the valid ones.

    ``exists`` tells whether the provider has an activity; without it deletions go unchecked.
    ``registered`` tells the rules which registrations the catalog holds already.
    """
    checked = CheckedRecords()
    first_seen: dict[str, str] = {}
    for record in records:
        report.records += 1
        item, problems = _check(record, registered)
        if item is not None:
            problems = _in_context(item, record.locator, first_seen, exists)
        if problems:
            report.rejected_records += 1
            report.rejections.extend(problems)
        elif isinstance(item, Deletion):
            checked.deletions.append(item)
        elif item is not None:
            checked.activities.append(item)
    report.accepted = len(checked.activities) + len(checked.deletions)
    return checked


def _check(
    record: Record, registered: Registered | None
) -> tuple[ActivityIn | Deletion | None, list[Rejection]]:
    if record.problem is not None:
        return None, [Rejection(record.locator, record.problem.field, record.problem.message)]
    if record.delete:
        return _deletion(record)
    try:
        return parse_activity(record.data, registered=registered), []
    except InvalidActivity as exc:
        return None, [
            Rejection(record.locator, record.describe(e.field), e.message) for e in exc.errors
        ]


def _deletion(record: Record) -> tuple[Deletion | None, list[Rejection]]:
    problems = Problems()
    key = as_text(
        problems,
        "provider_activity_id",
        record.data.get("provider_activity_id"),
        pattern=PROVIDER_ACTIVITY_ID,
        pattern_hint="1-64 of A-Z a-z 0-9 . _ -",
    )
    where = record.describe("provider_activity_id")
    if key is None:
        return None, [Rejection(record.locator, where, e.message) for e in problems.errors]
    return Deletion(record.locator, key, where), []


def _in_context(
    item: ActivityIn | Deletion,
    locator: str,
    first_seen: dict[str, str],
    exists: Callable[[str], bool] | None,
) -> list[Rejection]:
    """The problems of a valid record with the rest of the file and the catalog."""
    earlier = first_seen.setdefault(item.provider_activity_id, locator)
    if earlier != locator:
        message = f"appears more than once in this file (first at {earlier})"
        return [Rejection(locator, "provider_activity_id", message)]
    if isinstance(item, Deletion) and exists and not exists(item.provider_activity_id):
        return [Rejection(locator, item.field, "no such activity")]
    return []


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

    def exists(provider_activity_id: str) -> bool:
        aid = public_id(provider_id, provider_activity_id)
        return aid in find_states(session, [aid])

    registered = registered_in_catalog(session, provider_id)
    checked = check_records(records, report, exists=exists, registered=registered)
    if not report.ok and not partial:
        return report
    valid = checked.activities
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
    for deletion in checked.deletions:
        key = deletion.provider_activity_id
        delete_activity(session, provider_id=provider_id, provider_activity_id=key, now=now)
        report.deleted += 1
    return report
