"""Sessions of providers signed in on the pages, kept on the server so that they can end.

Signing in with a key starts a session: a random id for the browser, of which only the
SHA-256 hash is stored (like keys: 256 random bits need no slow hash). A session ends at
sign-out (its row is deleted), once its maximum age has passed, or once the key it signed in
with is revoked; every use checks all three. Dead rows are deleted whenever someone signs in.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlmodel import Session, col

from catalog.models import ProviderKey, SignInSession
from catalog.providers import find_key_owner, hash_key
from catalog.service import utcnow


def start_session(
    session: Session, *, key: str, max_age: timedelta, now: datetime | None = None
) -> str | None:
    """Sign in with ``key``: the new session's id (for the browser only), or None when the key
    is not valid or has been revoked."""
    provider_id = find_key_owner(session, key)
    if provider_id is None:
        return None
    now = now or utcnow()
    _delete_dead(session, now)
    session_id = secrets.token_urlsafe(32)
    session.add(
        SignInSession(
            id_hash=hash_key(session_id),
            provider_id=provider_id,
            key_hash=hash_key(key),
            created_at=now,
            expires_at=now + max_age,
        )
    )
    session.flush()
    return session_id


def session_provider(session: Session, session_id: str, now: datetime | None = None) -> str | None:
    """The provider signed in by a live session: not ended, not expired, its key not revoked."""
    found = session.execute(
        select(col(SignInSession.provider_id))
        .join(ProviderKey, col(ProviderKey.key_hash) == col(SignInSession.key_hash))
        .where(
            col(SignInSession.id_hash) == hash_key(session_id),
            col(SignInSession.expires_at) > (now or utcnow()),
            col(ProviderKey.revoked_at).is_(None),
            col(ProviderKey.provider_id) == col(SignInSession.provider_id),
        )
    ).first()
    return found[0] if found else None


def end_session(session: Session, session_id: str) -> None:
    """Sign out: the session is deleted, so no copy of its cookie works any more."""
    session.execute(delete(SignInSession).where(col(SignInSession.id_hash) == hash_key(session_id)))


def _delete_dead(session: Session, now: datetime) -> None:
    """Delete expired sessions and those of revoked keys (they can never work again)."""
    revoked = select(col(ProviderKey.key_hash)).where(col(ProviderKey.revoked_at).is_not(None))
    expired = col(SignInSession.expires_at) <= now
    session.execute(
        delete(SignInSession).where(or_(expired, col(SignInSession.key_hash).in_(revoked)))
    )
