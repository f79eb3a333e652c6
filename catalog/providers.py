"""Providers and their API keys. Keys are shown once and stored only as SHA-256 hashes.

A key is 256 random bits, so a plain SHA-256 is enough to store it safely: slow password
hashes guard low-entropy secrets, which these are not.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from catalog.errors import InvalidInput, ProviderExists
from catalog.models import Activity, Provider, ProviderKey
from catalog.reference import reference
from catalog.service import require_provider, utcnow

PROVIDER_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
KEY_PREFIX = "moc_"
STATE_PREFIX = "state:"
ACCREDITOR_HINT = "ACCME, JA (Joint Accreditation) or state:XX (XX a US state code)"


def parse_accreditor(text: str) -> str:
    """Normalise an accrediting body: ``ACCME``, ``JA`` or ``state:XX``; else InvalidInput."""
    value = text.strip()
    if value.upper() in ("ACCME", "JA"):
        return value.upper()
    state = value[len(STATE_PREFIX) :].upper() if value.casefold().startswith(STATE_PREFIX) else ""
    if state in reference().us_states:
        return STATE_PREFIX + state
    raise InvalidInput(f"accreditor must be {ACCREDITOR_HINT}, not {text!r}")


def accreditor_parts(accreditor: str) -> tuple[str, str | None]:
    """("ACCME", None), ("JA", None) or ("state", "NY"): the kind of body and its state."""
    if accreditor.startswith(STATE_PREFIX):
        return "state", accreditor[len(STATE_PREFIX) :]
    return accreditor, None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_provider(
    session: Session,
    *,
    provider_id: str,
    name: str,
    accreditor: str = "ACCME",
    now: datetime | None = None,
) -> Provider:
    """Register a new provider with its accrediting body (default ACCME)."""
    if not PROVIDER_ID.match(provider_id):
        raise InvalidInput("provider id must be 1-64 of A-Z a-z 0-9 . _ -")
    if not 1 <= len(name.strip()) <= 300:
        raise InvalidInput("provider name must be 1-300 characters")
    body = parse_accreditor(accreditor)
    if session.get(Provider, provider_id) is not None:
        raise ProviderExists(f"provider {provider_id!r} already exists")
    now = now or utcnow()
    provider = Provider(
        id=provider_id, name=name.strip(), accreditor=body, created_at=now, updated_at=now
    )
    session.add(provider)
    session.flush()
    return provider


def create_key(session: Session, *, provider_id: str, now: datetime | None = None) -> str:
    """Create a new API key for a provider and return it; only its hash is stored."""
    require_provider(session, provider_id)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ProviderKey(
            provider_id=provider_id,
            key_hash=hash_key(key),
            prefix=key[:12],
            created_at=now or utcnow(),
        )
    )
    session.flush()
    return key


def find_key_owner(session: Session, key: str) -> str | None:
    """Return the provider id of an active key, or None.

    The database finds the row by the key's hash, so the secret is never compared as such;
    the stored hash is then checked again in constant time.
    """
    digest = hash_key(key)
    row = session.exec(
        select(ProviderKey).where(
            ProviderKey.key_hash == digest,
            ProviderKey.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        return None
    return row.provider_id


def revoke_keys(
    session: Session, *, provider_id: str, prefix: str | None = None, now: datetime | None = None
) -> int:
    """Revoke a provider's keys (all, or those starting with ``prefix``); return how many."""
    require_provider(session, provider_id)
    keys = session.exec(
        select(ProviderKey).where(
            ProviderKey.provider_id == provider_id,
            ProviderKey.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    chosen = [k for k in keys if prefix is None or k.prefix.startswith(prefix[:12])]
    for key in chosen:
        key.revoked_at = now or utcnow()
        session.add(key)
    session.flush()
    return len(chosen)


@dataclass(frozen=True)
class ProviderSummary:
    """A provider as the operator lists it: who, which keys are active, how many activities."""

    id: str
    name: str
    key_prefixes: tuple[str, ...]  # the first characters of each active key
    activities: int  # all of the provider's activities, listed or not


def list_providers(session: Session) -> list[ProviderSummary]:
    """Every provider by id, with its active keys' prefixes and its count of activities."""
    keys: dict[str, list[str]] = {}
    active = select(ProviderKey).where(ProviderKey.revoked_at.is_(None))  # type: ignore[union-attr]
    for key in session.exec(active.order_by(ProviderKey.id)):  # type: ignore[arg-type]
        keys.setdefault(key.provider_id, []).append(key.prefix)
    counted = select(Activity.provider_id, func.count()).group_by(Activity.provider_id)
    counts = dict(session.exec(counted).all())
    return [
        ProviderSummary(p.id, p.name, tuple(keys.get(p.id, ())), counts.get(p.id, 0))
        for p in session.exec(select(Provider).order_by(Provider.id))
    ]
