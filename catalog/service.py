"""Catalog use cases. Each takes the session first and leaves committing to the caller."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from catalog import repository as repo
from catalog.errors import ActivityNotFound, ProviderNotFound
from catalog.models import Provider
from catalog.schemas import (
    ActivityIn,
    ActivityOut,
    CommercialSupportIn,
    LocationIn,
    MocIn,
    ProviderRef,
)


@dataclass
class WriteSummary:
    """What a batch write did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def utcnow() -> datetime:
    return datetime.now(UTC)


def public_id(provider_id: str, provider_activity_id: str) -> str:
    """Derive the stable public id of an activity from its provider's key.

    Derived rather than random so the same record always gets the same id (re-imports,
    demo catalogs) and no lookup is needed before a batch write.
    """
    digest = hashlib.sha256(f"{provider_id}\x00{provider_activity_id}".encode()).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def content_hash(data: ActivityIn) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def registered_in_catalog(session: Session, provider_id: str) -> Callable[[str, str], bool]:
    """For the rules: whether (provider activity id, board) is already registered here."""

    def registered(provider_activity_id: str, board: str) -> bool:
        return repo.has_registration(session, public_id(provider_id, provider_activity_id), board)

    return registered


def require_provider(session: Session, provider_id: str) -> Provider:
    """Return the provider or raise ProviderNotFound."""
    provider = repo.get_provider(session, provider_id)
    if provider is None:
        raise ProviderNotFound(f"unknown provider {provider_id!r}")
    return provider


def upsert_activities(
    session: Session, *, provider_id: str, items: Sequence[ActivityIn], now: datetime | None = None
) -> WriteSummary:
    """Create or replace a batch of validated activities, with one outbox row per real change."""
    require_provider(session, provider_id)
    return write_activities(session, [(provider_id, a) for a in items], now=now)


def write_activities(
    session: Session, items: Sequence[tuple[str, ActivityIn]], *, now: datetime | None = None
) -> WriteSummary:
    """Upsert (provider id, activity) pairs of existing providers in as few statements as possible.

    A record whose content is unchanged is not written and gets no outbox row.
    """
    now = now or utcnow()
    wanted = {public_id(pid, a.provider_activity_id): (pid, a) for pid, a in items}
    hashes = {aid: content_hash(a) for aid, (_, a) in wanted.items()}
    existing = repo.find_states(session, list(wanted))
    new = [aid for aid in wanted if aid not in existing]
    changed = [aid for aid in wanted if aid in existing and existing[aid][0] != hashes[aid]]
    rows = {aid: _activity_row(aid, *wanted[aid], hashes[aid], now) for aid in new + changed}
    if new:
        repo.insert_activities(session, [rows[aid] for aid in new])
    if changed:
        repo.update_activities(session, [rows[aid] for aid in changed])
        repo.delete_children(session, changed)
    repo.insert_children(session, *_child_rows({aid: wanted[aid][1] for aid in new + changed}))
    repo.record_changes(session, ((aid, wanted[aid][0], "upsert") for aid in new + changed), now)
    was_public = {aid: existing[aid][1] for aid in changed}
    repo.record_public_changes(session, _public_ops(new + changed, wanted, was_public), now)
    return WriteSummary(len(new), len(changed), len(wanted) - len(new) - len(changed))


def _public_ops(
    ids: list[str], wanted: dict[str, tuple[str, ActivityIn]], was_public: dict[str, bool]
) -> Iterator[tuple[str, str]]:
    """What a partner's mirror must do: upsert what is public now, remove what no longer is."""
    for aid in ids:
        data = wanted[aid][1]
        if data.listed and data.moc:
            yield aid, "upsert"
        elif was_public.get(aid, False):
            yield aid, "remove"


def upsert_activity(
    session: Session, *, provider_id: str, data: ActivityIn, now: datetime | None = None
) -> bool:
    """Create or replace one activity; return True when it was created."""
    return upsert_activities(session, provider_id=provider_id, items=[data], now=now).created == 1


def delete_activity(
    session: Session, *, provider_id: str, provider_activity_id: str, now: datetime | None = None
) -> None:
    """Delete an activity of a provider, recording the removal for the index."""
    aid = public_id(provider_id, provider_activity_id)
    state = repo.find_states(session, [aid]).get(aid)
    if state is None:
        raise ActivityNotFound(f"no activity {provider_activity_id!r} for provider {provider_id!r}")
    now = now or utcnow()
    repo.delete_activity_row(session, aid)
    repo.record_changes(session, [(aid, provider_id, "delete")], now)
    if state[1]:
        repo.record_public_changes(session, [(aid, "remove")], now)


def get_public_activity(session: Session, activity_id: str, *, today: date) -> ActivityOut:
    """Return a listed, current MOC activity or raise ActivityNotFound (unlisted looks missing)."""
    statement = repo.public_activities(today).where(repo.A.id == activity_id)
    rows = repo.load_activity_rows(session, statement)
    if not rows:
        raise ActivityNotFound(f"no activity {activity_id!r}")
    return activity_out(rows[0])


def get_public_activities(
    session: Session, ids: Sequence[str], *, today: date
) -> dict[str, ActivityOut]:
    """The listed, current MOC activities among ``ids`` (the others are simply absent)."""
    found: dict[str, ActivityOut] = {}
    for part in repo.chunks(list(ids)):
        statement = repo.public_activities(today).where(repo.A.id.in_(part))
        found.update(
            {r["id"]: activity_out(r) for r in repo.load_activity_rows(session, statement)}
        )
    return found


def get_provider_activity(
    session: Session, *, provider_id: str, provider_activity_id: str
) -> ActivityOut:
    """Return one of a provider's own activities, listed or not."""
    rows = repo.load_activity_rows(session, repo.select_activity(provider_id, provider_activity_id))
    if not rows:
        raise ActivityNotFound(f"no activity {provider_activity_id!r} for provider {provider_id!r}")
    return activity_out(rows[0])


@dataclass
class PublicChangeEntry:
    """One step of the changes feed: an activity to upsert (as it is now) or an id to remove."""

    cursor: int
    op: str
    activity_id: str
    activity: ActivityOut | None = None


def list_public_changes(
    session: Session, *, since: int, limit: int, today: date
) -> tuple[list[PublicChangeEntry], int, bool]:
    """Public changes after ``since``: (entries, next cursor, more to come).

    An upsert is served with the activity's current state; when the activity is no longer
    public (ended, or unlisted or deleted by a later change) it is served as a remove, which
    is harmless if the mirror never had it.
    """
    rows = repo.public_changes_after(session, since, limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    ids = [aid for _, aid, op in rows if op == "upsert"]
    current = get_public_activities(session, ids, today=today)
    entries = [
        PublicChangeEntry(cursor, "upsert", aid, current[aid])
        if op == "upsert" and aid in current
        else PublicChangeEntry(cursor, "remove", aid)
        for cursor, aid, op in rows
    ]
    return entries, (rows[-1][0] if rows else since), more


@dataclass
class ProviderActivity:
    """One of a provider's own activities and why it is or is not public."""

    activity: ActivityOut
    public: bool
    reasons: list[str]


def visibility(activity: ActivityOut, today: date) -> tuple[bool, list[str]]:
    """Whether an activity is public and why not; limited registration is public with a note."""
    reasons = []
    if not activity.listed:
        reasons.append("not listed by provider")
    if not activity.moc:
        reasons.append("no MOC registration")
    if activity.end_date < today:
        reasons.append("ended")
    notes = (
        ["registration limited: shown with a notice"] if activity.registration == "limited" else []
    )
    return not reasons, reasons + (notes if not reasons else [])


def list_provider_activities(
    session: Session, *, provider_id: str, today: date
) -> list[ProviderActivity]:
    """Every activity of a provider, unlisted included, with its visibility."""
    require_provider(session, provider_id)
    out = []
    for row in repo.load_activity_rows(session, repo.provider_activities(provider_id)):
        activity = activity_out(row)
        public, reasons = visibility(activity, today)
        out.append(ProviderActivity(activity, public, reasons))
    return out


@dataclass(frozen=True)
class ProviderProfile:
    """A provider as the public sees it."""

    id: str
    name: str
    accreditor: str  # ACCME, JA or state:XX
    listed_activities: int  # listed, current MOC activities


def get_provider_profile(session: Session, provider_id: str, *, today: date) -> ProviderProfile:
    """Return a provider's public profile or raise ProviderNotFound."""
    provider = require_provider(session, provider_id)
    statement = repo.public_activities(today).where(repo.A.provider_id == provider_id)
    count = repo.count_rows(session, statement)
    return ProviderProfile(provider.id, provider.name, provider.accreditor, count)


def provider_accreditor(session: Session, provider_id: str) -> str:
    """A provider's accrediting body (ACCME, JA or state:XX), for its statements."""
    return require_provider(session, provider_id).accreditor


def get_public_provider(session: Session, provider_id: str, *, today: date) -> tuple[str, int]:
    """Return a provider's name and its count of listed, current MOC activities."""
    profile = get_provider_profile(session, provider_id, today=today)
    return profile.name, profile.listed_activities


def indexable_activities(
    session: Session, *, ids: Sequence[str] | None = None, batch: int = 2000
) -> Iterator[list[ActivityOut]]:
    """Yield, in batches, the activities the public index should hold (all, or among ``ids``)."""
    statement = repo.indexable_activities().order_by(repo.A.id)
    if ids is not None:
        for part in repo.chunks(list(ids), batch):
            rows = repo.load_activity_rows(session, statement.where(repo.A.id.in_(part)))
            yield [activity_out(row) for row in rows]
        return
    # Walk the primary key in windows, then filter each window: asked directly for "listed
    # ... id > after ORDER BY id LIMIT n", SQLite without statistics picks the listed index,
    # reads every listed row and sorts them for each batch, which made a rebuild quadratic.
    after = ""
    while window := repo.activity_ids_after(session, after, batch):
        rows = repo.load_activity_rows(session, statement.where(repo.A.id.in_(window)))
        if rows:
            yield [activity_out(row) for row in rows]
        after = window[-1]


def activity_out(row: dict[str, Any]) -> ActivityOut:
    """Turn a row from ``load_activity_rows`` into the public shape.

    The catalog validated every field on the way in, so reading it back builds the models
    without validating them again (a full reindex reads every activity: validation was a
    quarter of its time).
    """
    location = None
    if row["city"] is not None:
        location = LocationIn.model_construct(**{k: row[k] for k in LOCATION_FIELDS})
    moc = [MocIn.model_construct(**{k: reg[k] for k in MOC_FIELDS}) for reg in row["moc"]]
    support = [CommercialSupportIn.model_construct(**s) for s in row["commercial_support"]]
    fields = {k: row[k] for k in ActivityIn.model_fields if k not in NESTED_FIELDS}
    return ActivityOut.model_construct(
        **fields,
        location=location,
        moc=moc,
        commercial_support=support,
        id=row["id"],
        provider=ProviderRef.model_construct(id=row["provider_id"], name=row["provider_name"]),
        created_at=_utc(row["created_at"]),
        updated_at=_utc(row["updated_at"]),
    )


LOCATION_FIELDS = ("venue", "city", "state", "postal_code", "country", "lat", "lng")
MOC_FIELDS = tuple(MocIn.model_fields)
NESTED_FIELDS = ("location", "moc", "commercial_support")


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their offset; the catalog writes them in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _activity_row(
    aid: str, provider_id: str, data: ActivityIn, digest: str, now: datetime
) -> dict[str, Any]:
    loc = (
        data.location.model_dump()
        if data.location
        else dict.fromkeys(("venue", "city", "state", "postal_code", "country", "lat", "lng"))
    )
    plain = data.model_dump(exclude={"location", "moc", "specialties"})
    return (
        plain
        | loc
        | {
            "id": aid,
            "provider_id": provider_id,
            "content_hash": digest,
            "created_at": now,
            "updated_at": now,
        }
    )


def _child_rows(
    items: dict[str, ActivityIn],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    registrations = [
        reg.model_dump() | {"activity_id": aid, "position": i}
        for aid, data in items.items()
        for i, reg in enumerate(data.moc)
    ]
    specialties = [
        {"activity_id": aid, "specialty": code, "position": i}
        for aid, data in items.items()
        for i, code in enumerate(data.specialties)
    ]
    return registrations, specialties
