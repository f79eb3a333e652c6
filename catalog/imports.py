"""Batch imports: check every record, then write all of them (or, when partial, the valid ones).

All-or-nothing is the default: one rejected record means nothing is written, so a provider
can fix the file and send it again without working out what already went in. A record may
also ask to delete an activity (``Record.delete``); deleting one that does not exist is a
rejection like any other.

Checking only reads the catalog, so ``run_import`` checks outside the write transaction: a
file that takes a minute to read holds no lock (on SQLite, the one write lock every provider
shares), and the write transaction opens once the whole file is known, to write only.

A report counts every problem but keeps the first ``MAX_SHOWN``: a file of a million bad
lines must not answer a report hundreds of times its size. ``ImportLimits`` bounds what one
import may take: the records it reads (the valid ones stay in memory until written) and the
seconds spent reading and checking them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from catalog.db import session_scope
from catalog.errors import FieldError, ImportFileError, InvalidActivity
from catalog.fields import Problems, as_text, unicode_problems
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
MAX_SHOWN = 1000  # problems a report lists; it counts them all
MAX_TEXT = 500  # characters of a problem's field or message a report keeps (one may quote a value)


@dataclass(frozen=True)
class ImportLimits:
    """The most one import may take; None is no limit (the operator's CLI)."""

    max_records: int | None = None
    timeout_s: float | None = None  # reading and checking, before anything is written


NO_LIMITS = ImportLimits()


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
    rejections: list[Rejection] = field(default_factory=list)  # the first MAX_SHOWN problems
    rejections_total: int = 0  # every problem found, listed or not
    written: WriteSummary = field(default_factory=WriteSummary)
    deleted: int = 0

    @property
    def ok(self) -> bool:
        return self.rejected_records == 0

    def reject(
        self, locator: str, errors: Sequence[FieldError], describe: Callable[[str], str] = str
    ) -> None:
        """Count a rejected record and its problems; list them while there is room."""
        self.rejected_records += 1
        self.rejections_total += len(errors)
        for error in errors[: max(0, MAX_SHOWN - len(self.rejections))]:
            where, message = _clip(describe(error.field)), _clip(error.message)
            self.rejections.append(Rejection(locator, where, message))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


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
    limits: ImportLimits = NO_LIMITS,
) -> CheckedRecords:
    """Validate every record, adding its problems to the report; return the valid ones.

    ``exists`` tells whether the provider has an activity; without it deletions go unchecked.
    ``registered`` tells the rules which registrations the catalog holds already.
    A file without records, or past a limit, raises ImportFileError.
    """
    checked = CheckedRecords()
    first_seen: dict[str, str] = {}
    deadline = None if limits.timeout_s is None else time.monotonic() + limits.timeout_s
    for record in records:
        report.records += 1
        _within(limits, report.records, deadline)
        item, errors = _check(record, registered)
        if item is not None:
            errors = _in_context(item, record.locator, first_seen, exists)
            if errors:
                report.reject(record.locator, errors)
                continue
        if errors:
            # A reader's own problem names its field already.
            described = record.describe if record.problem is None else str
            report.reject(record.locator, errors, described)
        elif isinstance(item, Deletion):
            checked.deletions.append(item)
        elif item is not None:
            checked.activities.append(item)
    if report.records == 0:
        raise ImportFileError("the file holds no records")
    report.accepted = len(checked.activities) + len(checked.deletions)
    return checked


def _within(limits: ImportLimits, records: int, deadline: float | None) -> None:
    if limits.max_records is not None and records > limits.max_records:
        raise ImportFileError(
            f"the file holds more than {limits.max_records:,} records, the most one import "
            "may hold; split it into smaller files"
        )
    if deadline is not None and time.monotonic() > deadline:
        raise ImportFileError(
            f"reading and checking the file took longer than {limits.timeout_s:g} seconds, "
            "the most one import may take; split it into smaller files"
        )


def _check(
    record: Record, registered: Registered | None
) -> tuple[ActivityIn | Deletion | None, list[FieldError]]:
    """The record's activity or deletion, else its problems (fields not yet described)."""
    if record.problem is not None:
        return None, [record.problem]
    if record.delete:
        return _deletion(record)
    try:
        return parse_activity(record.data, registered=registered), []
    except InvalidActivity as exc:
        return None, exc.errors


def _deletion(record: Record) -> tuple[Deletion | None, list[FieldError]]:
    problems = Problems()
    raw = record.data.get("provider_activity_id")
    if broken := unicode_problems(raw, "provider_activity_id"):
        return None, broken
    key = as_text(
        problems,
        "provider_activity_id",
        raw,
        pattern=PROVIDER_ACTIVITY_ID,
        pattern_hint="1-64 of A-Z a-z 0-9 . _ -",
    )
    if key is None:
        return None, problems.errors
    return Deletion(record.locator, key, record.describe("provider_activity_id")), []


def _in_context(
    item: ActivityIn | Deletion,
    locator: str,
    first_seen: dict[str, str],
    exists: Callable[[str], bool] | None,
) -> list[FieldError]:
    """The problems of a valid record with the rest of the file and the catalog."""
    earlier = first_seen.setdefault(item.provider_activity_id, locator)
    if earlier != locator:
        message = f"appears more than once in this file (first at {earlier})"
        return [FieldError("provider_activity_id", message)]
    if isinstance(item, Deletion) and exists and not exists(item.provider_activity_id):
        return [FieldError(item.field, "no such activity")]
    return []


def check_import(
    session: Session, *, provider_id: str, records: Iterable[Record], limits: ImportLimits
) -> tuple[ImportReport, CheckedRecords]:
    """Check a batch for one provider against the catalog, reading only."""
    require_provider(session, provider_id)
    report = ImportReport()

    def exists(provider_activity_id: str) -> bool:
        aid = public_id(provider_id, provider_activity_id)
        return aid in find_states(session, [aid])

    registered = registered_in_catalog(session, provider_id)
    checked = check_records(records, report, exists=exists, registered=registered, limits=limits)
    return report, checked


def write_checked(
    session: Session,
    *,
    provider_id: str,
    checked: CheckedRecords,
    report: ImportReport,
    partial: bool = False,
    now: datetime | None = None,
    on_written: Callable[[int], None] | None = None,
) -> ImportReport:
    """Write a checked batch in the session's transaction: nothing on any rejection unless
    partial. A deletion whose activity went away since the check is a rejection too."""
    _drop_vanished(session, provider_id, checked, report)
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


def _drop_vanished(
    session: Session, provider_id: str, checked: CheckedRecords, report: ImportReport
) -> None:
    if not checked.deletions:
        return
    ids = [public_id(provider_id, d.provider_activity_id) for d in checked.deletions]
    found = find_states(session, ids)
    kept = []
    for deletion, aid in zip(checked.deletions, ids, strict=True):
        if aid in found:
            kept.append(deletion)
        else:
            report.reject(deletion.locator, [FieldError(deletion.field, "no such activity")])
            report.accepted -= 1
    checked.deletions = kept


def import_records(
    session: Session,
    *,
    provider_id: str,
    records: Iterable[Record],
    partial: bool = False,
    limits: ImportLimits = NO_LIMITS,
    now: datetime | None = None,
    on_written: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check and write a batch for one provider in the caller's transaction."""
    report, checked = check_import(session, provider_id=provider_id, records=records, limits=limits)
    return write_checked(
        session, provider_id=provider_id, checked=checked, report=report, partial=partial,
        now=now, on_written=on_written,
    )  # fmt: skip


def run_import(
    engine: Engine,
    *,
    provider_id: str,
    records: Iterable[Record],
    partial: bool = False,
    limits: ImportLimits = NO_LIMITS,
    now: datetime | None = None,
    on_written: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check a batch reading only, then write it in a write transaction of its own."""
    with session_scope(engine) as session:
        report, checked = check_import(
            session, provider_id=provider_id, records=records, limits=limits
        )
    if not (checked.activities or checked.deletions) or (not report.ok and not partial):
        return report
    with session_scope(engine, write=True) as session:
        return write_checked(
            session, provider_id=provider_id, checked=checked, report=report, partial=partial,
            now=now, on_written=on_written,
        )  # fmt: skip
