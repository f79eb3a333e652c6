"""SQL tables of the catalog (SQLModel). The catalog is the source of truth; the index is derived.

Writes go through Core statements in ``repository.py`` so that batches stay fast; these classes
define the schema that Alembic migrations must match (a test checks that they do).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

# Explicit constraint names, so migrations are the same on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _timestamp() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False)


# Server defaults give rows written before migration 0006 the values the rules default to.
def _json_list() -> Column[Any]:
    return Column(JSON, nullable=False, server_default=text("'[]'"))


def _flag() -> Column[bool]:
    return Column(Boolean, nullable=False, server_default=false())


class Provider(SQLModel, table=True):
    """An accredited CME provider."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=300)
    # ACCME, JA (Joint Accreditation) or state:XX (a state medical society): catalog.providers.
    accreditor: str = Field(
        default="ACCME",
        sa_column=Column(String(16), nullable=False, server_default="ACCME"),
    )
    created_at: datetime = Field(sa_column=_timestamp())
    updated_at: datetime = Field(sa_column=_timestamp())


class ProviderKey(SQLModel, table=True):
    """An API key of a provider; only its SHA-256 hash is kept."""

    __tablename__ = "provider_key"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: str = Field(foreign_key="provider.id", index=True, max_length=64)
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=_timestamp())
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class SignInSession(SQLModel, table=True):
    """A provider signed in on the pages with a key (catalog.sessions).

    The browser holds a random session id; only its SHA-256 hash is kept, as for keys. The
    row is deleted at sign-out, and is dead once expired or once its key is revoked.
    """

    __tablename__ = "provider_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    provider_id: str = Field(foreign_key="provider.id", max_length=64)
    key_hash: str = Field(foreign_key="provider_key.key_hash", index=True, max_length=64)
    created_at: datetime = Field(sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp())


class Activity(SQLModel, table=True):
    """One CME activity of one provider. ``id`` is the stable public id."""

    # No index on listed/end_date: no read needs one (public reads go by id or provider), and
    # SQLite, which keeps no statistics, took it for selective and scanned every listed row
    # for each batch of ids (migration 0003).
    __table_args__ = (UniqueConstraint("provider_id", "provider_activity_id"),)

    id: str = Field(primary_key=True, max_length=32)
    provider_id: str = Field(foreign_key="provider.id", index=True, max_length=64)
    provider_activity_id: str = Field(max_length=64)
    title: str = Field(max_length=300)
    description: str | None = Field(default=None, sa_column=Column(Text))
    activity_type: str = Field(max_length=40)
    format: str = Field(max_length=16)
    start_date: date
    end_date: date
    venue: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=64)
    postal_code: str | None = Field(default=None, max_length=16)
    country: str | None = Field(default=None, max_length=2)
    lat: float | None = None
    lng: float | None = None
    url: str | None = Field(default=None, max_length=2000)
    fee: str | None = Field(default=None, max_length=16)
    cme_credits: float
    listed: bool
    registration: str = Field(max_length=16)
    accme_activity_id: str | None = Field(default=None, max_length=12)
    providership: str = Field(
        default="direct", sa_column=Column(String(8), nullable=False, server_default="direct")
    )
    joint_providers: list[str] = Field(default_factory=list, sa_column=_json_list())
    commercial_support: list[dict[str, str]] = Field(default_factory=list, sa_column=_json_list())
    rems: bool = Field(default=False, sa_column=_flag())
    mips: bool = Field(default=False, sa_column=_flag())
    topics: list[str] = Field(default_factory=list, sa_column=_json_list())
    # Hash of the normalised record: a re-import of the same data writes nothing.
    content_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_timestamp())
    updated_at: datetime = Field(sa_column=_timestamp())


class MocRegistration(SQLModel, table=True):
    """One board's MOC registration of an activity."""

    __tablename__ = "moc_registration"
    __table_args__ = (UniqueConstraint("activity_id", "board"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: str = Field(
        sa_column=Column(ForeignKey("activity.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    position: int = Field(sa_column=Column(Integer, nullable=False))
    board: str = Field(max_length=16)
    points: float
    credit_types: list[str] = Field(sa_column=Column(JSON, nullable=False))
    practice_areas: list[str] = Field(sa_column=Column(JSON, nullable=False))
    credit_claim_date: date | None = None
    content_outline: list[str] = Field(default_factory=list, sa_column=_json_list())


class ActivitySpecialty(SQLModel, table=True):
    """A specialty code an activity is tagged with."""

    __tablename__ = "activity_specialty"

    activity_id: str = Field(
        sa_column=Column(ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True)
    )
    specialty: str = Field(primary_key=True, max_length=64)
    position: int = Field(sa_column=Column(Integer, nullable=False))


class OutboxEntry(SQLModel, table=True):
    """A change the search index has not yet taken; written in the same transaction as it."""

    __tablename__ = "outbox"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    activity_id: str = Field(max_length=32, index=True)
    provider_id: str = Field(max_length=64)
    op: str = Field(max_length=8)  # "upsert" or "delete"; the worker re-reads the activity anyway
    created_at: datetime = Field(sa_column=_timestamp())


class PublicChange(SQLModel, table=True):
    """An activity entering or leaving the public catalog (or changing while in it).

    Kept, unlike the outbox, so partners can mirror the public catalog from any point
    (the changes feed). Activities that were never public leave no trace here.
    """

    __tablename__ = "public_change"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    activity_id: str = Field(max_length=32, index=True)
    op: str = Field(max_length=8)  # "upsert" or "remove"
    created_at: datetime = Field(sa_column=_timestamp())


class SearchTarget(SQLModel, table=True):
    """A search index fed by the sync worker when it feeds several (MOC_MEILI_URLS).

    Registered once the index has been rebuilt from the catalog; from then on every change
    reaches it through its own queue. An index that is not registered must be rebuilt first.
    """

    __tablename__ = "search_target"

    name: str = Field(primary_key=True, max_length=300)
    registered_at: datetime = Field(sa_column=_timestamp())


class SearchQueueEntry(SQLModel, table=True):
    """A change one search index has not yet taken: the outbox, fanned out per index, so
    that an index that is down or slow holds back only its own queue."""

    __tablename__ = "search_queue"
    # A queue is read oldest first: (target, id) serves "WHERE target = ? ORDER BY id LIMIT n".
    __table_args__ = (Index("ix_search_queue_target_id", "target", "id"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    target: str = Field(max_length=300)
    activity_id: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=_timestamp())  # of the outbox row: the change's age
