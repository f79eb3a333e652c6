"""Every SQL statement of the catalog. Public reads start from ``public_activities()``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, insert, select, text, update
from sqlmodel import Session

from catalog.models import (
    Activity,
    ActivitySpecialty,
    MocRegistration,
    OutboxEntry,
    Provider,
    PublicChange,
)

A = Activity.__table__.c  # type: ignore[attr-defined]
ACTIVITY = Activity.__table__  # type: ignore[attr-defined]
MOC = MocRegistration.__table__  # type: ignore[attr-defined]
SPECIALTY = ActivitySpecialty.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxEntry.__table__  # type: ignore[attr-defined]
PROVIDER = Provider.__table__  # type: ignore[attr-defined]
PUBLIC_CHANGE = PublicChange.__table__  # type: ignore[attr-defined]
# Keeps IN lists and executemany batches well under every driver's parameter limit.
CHUNK = 500


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def indexable_activities() -> Select[Any]:
    """Activities the public index may hold: listed, with at least one MOC registration.

    Whether one has ended is decided at query time, so the index needs no daily sweep.
    """
    has_moc = select(MOC.c.activity_id).where(MOC.c.activity_id == A.id).exists()
    return select(ACTIVITY).where(A.listed.is_(True), has_moc)


def public_activities(today: date) -> Select[Any]:
    """The one statement every public read starts from: listed, with MOC, not ended."""
    return indexable_activities().where(A.end_date >= today)


def get_provider(session: Session, provider_id: str) -> Provider | None:
    return session.get(Provider, provider_id)


def find_states(session: Session, ids: Sequence[str]) -> dict[str, tuple[str, bool]]:
    """Return {activity id: (content hash, public)} for the ids that exist.

    "public" here is listed with a MOC registration; ending is judged when read.
    """
    has_moc = select(MOC.c.activity_id).where(MOC.c.activity_id == A.id).exists()
    found: dict[str, tuple[str, bool]] = {}
    for part in chunks(ids):
        statement = select(A.id, A.content_hash, A.listed, has_moc.label("has_moc"))
        for row in session.execute(statement.where(A.id.in_(part))):
            found[row.id] = (row.content_hash, bool(row.listed and row.has_moc))
    return found


def record_public_changes(
    session: Session, changes: Iterable[tuple[str, str]], now: datetime
) -> None:
    """Add one public change row per (activity id, op)."""
    rows = [{"activity_id": a, "op": op, "created_at": now} for a, op in changes]
    for part in chunks(rows):
        session.execute(insert(PUBLIC_CHANGE), list(part))


def public_changes_after(session: Session, cursor: int, limit: int) -> list[tuple[int, str, str]]:
    """Public changes after ``cursor`` in order, as (change id, activity id, op)."""
    statement = (
        select(PUBLIC_CHANGE.c.id, PUBLIC_CHANGE.c.activity_id, PUBLIC_CHANGE.c.op)
        .where(PUBLIC_CHANGE.c.id > cursor)
        .order_by(PUBLIC_CHANGE.c.id)
        .limit(limit)
    )
    return [(row.id, row.activity_id, row.op) for row in session.execute(statement)]


def has_registration(session: Session, activity_id: str, board: str) -> bool:
    """Whether the catalog holds this activity's MOC registration with this board."""
    statement = select(MOC.c.id).where(MOC.c.activity_id == activity_id, MOC.c.board == board)
    return session.execute(statement.limit(1)).first() is not None


def find_hashes(session: Session, ids: Sequence[str]) -> dict[str, str]:
    """Return {activity id: content hash} for the ids that exist."""
    found: dict[str, str] = {}
    for part in chunks(ids):
        rows = session.execute(select(A.id, A.content_hash).where(A.id.in_(part)))
        found.update({row.id: row.content_hash for row in rows})
    return found


def insert_activities(session: Session, rows: list[dict[str, Any]]) -> None:
    for part in chunks(rows):
        session.execute(insert(ACTIVITY), list(part))


def update_activities(session: Session, rows: list[dict[str, Any]]) -> None:
    """Replace the columns of existing activities (created_at is kept)."""
    columns = [k for k in rows[0] if k not in ("id", "created_at")]
    statement = (
        update(ACTIVITY)
        .where(A.id == bindparam("b_id"))
        .values({c: bindparam(f"b_{c}") for c in columns})
    )
    params = [{f"b_{k}": v for k, v in row.items() if k != "created_at"} for row in rows]
    for part in chunks(params):
        session.connection().execute(statement, list(part))


def delete_children(session: Session, ids: Sequence[str]) -> None:
    for part in chunks(ids):
        session.execute(delete(MOC).where(MOC.c.activity_id.in_(part)))
        session.execute(delete(SPECIALTY).where(SPECIALTY.c.activity_id.in_(part)))


def insert_children(
    session: Session, registrations: list[dict[str, Any]], specialties: list[dict[str, Any]]
) -> None:
    for part in chunks(registrations):
        session.execute(insert(MOC), list(part))
    for part in chunks(specialties):
        session.execute(insert(SPECIALTY), list(part))


def delete_activity_row(session: Session, activity_id: str) -> None:
    delete_children(session, [activity_id])
    session.execute(delete(ACTIVITY).where(A.id == activity_id))


def record_changes(
    session: Session, changes: Iterable[tuple[str, str, str]], now: datetime
) -> None:
    """Add one outbox row per (activity id, provider id, op)."""
    rows = [
        {"activity_id": a, "provider_id": p, "op": op, "created_at": now} for a, p, op in changes
    ]
    for part in chunks(rows):
        session.execute(insert(OUTBOX), list(part))


def refresh_statistics(session: Session) -> None:
    """Let PostgreSQL re-plan after a large first batch into near-empty tables.

    Plans cached while the tables were empty (foreign-key checks among them) keep scanning
    whole tables and make a bulk load quadratic; ANALYZE updates the statistics and
    invalidates those plans. It sees the transaction's own uncommitted rows. SQLite needs
    nothing.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE provider, activity, moc_registration, activity_specialty"))


def outbox_batch(session: Session, limit: int) -> list[tuple[int, str]]:
    """The oldest outbox rows as (row id, activity id)."""
    statement = select(OUTBOX.c.id, OUTBOX.c.activity_id).order_by(OUTBOX.c.id).limit(limit)
    return [(row.id, row.activity_id) for row in session.execute(statement)]


def outbox_ids(session: Session) -> list[int]:
    """Every outbox row id, oldest first."""
    return list(session.execute(select(OUTBOX.c.id).order_by(OUTBOX.c.id)).scalars())


def delete_outbox(session: Session, ids: Sequence[int]) -> None:
    for part in chunks(ids):
        session.execute(delete(OUTBOX).where(OUTBOX.c.id.in_(part)))


def count_rows(session: Session, statement: Select[Any]) -> int:
    subquery = statement.subquery()
    return int(session.execute(select(func.count()).select_from(subquery)).scalar_one())


def count_outbox(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(OUTBOX)).scalar_one())


def outbox_stats(session: Session) -> tuple[int, datetime | None]:
    """Read only: the outbox's row count and its oldest row's created_at (None when empty)."""
    statement = select(func.count(), func.min(OUTBOX.c.created_at)).select_from(OUTBOX)
    row = session.execute(statement).one()
    return int(row[0]), row[1]


def count_activities(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(ACTIVITY)).scalar_one())


def activity_ids_after(session: Session, after: str, limit: int) -> list[str]:
    """The next ``limit`` activity ids after ``after`` in id order (a primary-key range)."""
    statement = select(A.id).where(A.id > after).order_by(A.id).limit(limit)
    return list(session.execute(statement).scalars())


def load_activity_rows(session: Session, statement: Select[Any]) -> list[dict[str, Any]]:
    """Run an activity select and attach each row's registrations and specialties."""
    rows = [dict(r._mapping) for r in session.execute(statement)]
    by_id = {row["id"]: row for row in rows}
    names = provider_names(session, {row["provider_id"] for row in rows})
    for row in rows:
        row["moc"], row["specialties"] = [], []
        row["provider_name"] = names[row["provider_id"]]
    for part in chunks(list(by_id)):
        for reg in session.execute(
            select(MOC).where(MOC.c.activity_id.in_(part)).order_by(MOC.c.position)
        ):
            by_id[reg.activity_id]["moc"].append(dict(reg._mapping))
        for spec in session.execute(
            select(SPECIALTY)
            .where(SPECIALTY.c.activity_id.in_(part))
            .order_by(SPECIALTY.c.position)
        ):
            by_id[spec.activity_id]["specialties"].append(spec.specialty)
    return rows


def provider_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Return {provider id: name} for the given ids."""
    found: dict[str, str] = {}
    for part in chunks(sorted(ids)):
        rows = session.execute(
            select(PROVIDER.c.id, PROVIDER.c.name).where(PROVIDER.c.id.in_(part))
        )
        found.update({row.id: row.name for row in rows})
    return found


def provider_activities(provider_id: str) -> Select[Any]:
    """All of a provider's activities, listed or not, soonest first."""
    return (
        select(ACTIVITY)
        .where(A.provider_id == provider_id)
        .order_by(A.start_date, A.provider_activity_id)
    )


def select_activity(provider_id: str, provider_activity_id: str) -> Select[Any]:
    return select(ACTIVITY).where(
        A.provider_id == provider_id, A.provider_activity_id == provider_activity_id
    )
