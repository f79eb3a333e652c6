"""Per-index queues of pending search changes, for a sync worker that feeds several indexes.

The outbox is filled by every catalog write; ``fan_out`` moves its oldest rows into one queue
per index in a single transaction, so each index takes its changes at its own pace and a row
is never lost between the two tables. A queue row is deleted once its index took it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select
from sqlmodel import Session

from catalog.models import OutboxEntry, SearchQueueEntry, SearchTarget
from catalog.repository import chunks

OUTBOX = OutboxEntry.__table__  # type: ignore[attr-defined]
QUEUE = SearchQueueEntry.__table__  # type: ignore[attr-defined]
TARGET = SearchTarget.__table__  # type: ignore[attr-defined]


def fan_out(session: Session, targets: Sequence[str], limit: int) -> int:
    """Move the oldest ``limit`` outbox rows into the queue of every target; return how many."""
    statement = select(OUTBOX.c.id, OUTBOX.c.activity_id, OUTBOX.c.created_at)
    rows = list(session.execute(statement.order_by(OUTBOX.c.id).limit(limit)))
    if not rows:
        return 0
    entries = [
        {"target": t, "activity_id": r.activity_id, "created_at": r.created_at}
        for r in rows
        for t in targets
    ]
    for part in chunks(entries):
        session.execute(insert(QUEUE), list(part))
    for ids in chunks([r.id for r in rows]):
        session.execute(delete(OUTBOX).where(OUTBOX.c.id.in_(ids)))
    return len(rows)


def queue_batch(session: Session, target: str, limit: int) -> list[tuple[int, str]]:
    """The oldest rows of one target's queue as (row id, activity id)."""
    statement = (
        select(QUEUE.c.id, QUEUE.c.activity_id)
        .where(QUEUE.c.target == target)
        .order_by(QUEUE.c.id)
        .limit(limit)
    )
    return [(row.id, row.activity_id) for row in session.execute(statement)]


def queue_ids(session: Session, target: str) -> list[int]:
    statement = select(QUEUE.c.id).where(QUEUE.c.target == target).order_by(QUEUE.c.id)
    return list(session.execute(statement).scalars())


def delete_queued(session: Session, ids: Sequence[int]) -> None:
    for part in chunks(ids):
        session.execute(delete(QUEUE).where(QUEUE.c.id.in_(part)))


def queue_stats(session: Session) -> dict[str, tuple[int, datetime | None]]:
    """Read only: per target, its queue's row count and oldest change (None when empty)."""
    statement = select(QUEUE.c.target, func.count(), func.min(QUEUE.c.created_at)).group_by(
        QUEUE.c.target
    )
    return {row[0]: (int(row[1]), row[2]) for row in session.execute(statement)}


def registered_targets(session: Session) -> set[str]:
    return set(session.execute(select(TARGET.c.name)).scalars())


def register_target(session: Session, name: str) -> None:
    """Mark ``name`` as rebuilt from the catalog: its queue now holds every later change."""
    session.execute(delete(TARGET).where(TARGET.c.name == name))
    session.execute(insert(TARGET).values(name=name, registered_at=datetime.now(UTC)))


def forget_targets(session: Session, keep: Sequence[str]) -> list[str]:
    """Drop the registration and queue of every target not in ``keep``; return their names.

    An index the worker stopped feeding misses changes: if it is fed again, it is rebuilt.
    """
    gone = sorted(registered_targets(session) - set(keep))
    stale = select(QUEUE.c.target).where(QUEUE.c.target.not_in(list(keep))).distinct()
    gone_queues = set(session.execute(stale).scalars())
    for name in sorted(set(gone) | gone_queues):
        session.execute(delete(QUEUE).where(QUEUE.c.target == name))
        session.execute(delete(TARGET).where(TARGET.c.name == name))
    return sorted(set(gone) | gone_queues)
