"""Provider page sessions on SQLite and PostgreSQL: start, end, maximum age, revoked keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from catalog.models import SignInSession
from catalog.providers import create_key, hash_key, revoke_keys
from catalog.sessions import end_session, session_provider, start_session

NOW = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
HOURS_8 = timedelta(hours=8)


def started(session: Session, key: str, now: datetime = NOW) -> str:
    session_id = start_session(session, key=key, max_age=HOURS_8, now=now)
    assert session_id is not None
    return session_id


def stored(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(SignInSession)).scalar_one())


def test_a_session_lives_until_its_max_age(session: Session, provider: str) -> None:
    key = create_key(session, provider_id=provider)
    session_id = started(session, key)
    assert session_provider(session, session_id, now=NOW) == provider
    almost = NOW + HOURS_8 - timedelta(seconds=1)
    assert session_provider(session, session_id, now=almost) == provider
    assert session_provider(session, session_id, now=NOW + HOURS_8) is None


def test_only_the_ids_hash_is_stored_and_each_sign_in_is_new(
    session: Session, provider: str
) -> None:
    key = create_key(session, provider_id=provider)
    first = started(session, key)
    second = started(session, key)
    assert first != second
    hashes = set(session.execute(select(SignInSession.id_hash)).scalars())
    assert hashes == {hash_key(first), hash_key(second)}


def test_end_session_ends_that_session_only(session: Session, provider: str) -> None:
    key = create_key(session, provider_id=provider)
    ended = started(session, key)
    kept = started(session, key)
    end_session(session, ended)
    assert session_provider(session, ended, now=NOW) is None
    assert session_provider(session, kept, now=NOW) == provider
    end_session(session, ended)  # twice, or an unknown id: nothing to do
    end_session(session, "no-such-session")
    assert stored(session) == 1


def test_a_revoked_key_ends_its_sessions(session: Session, provider: str) -> None:
    key = create_key(session, provider_id=provider)
    other = create_key(session, provider_id=provider)
    session_id = started(session, key)
    other_id = started(session, other)
    revoke_keys(session, provider_id=provider, prefix=key[:12])
    assert session_provider(session, session_id, now=NOW) is None
    assert session_provider(session, other_id, now=NOW) == provider
    assert start_session(session, key=key, max_age=HOURS_8, now=NOW) is None


def test_invalid_keys_start_nothing(session: Session, provider: str) -> None:
    assert start_session(session, key="moc_not-a-key", max_age=HOURS_8, now=NOW) is None
    assert stored(session) == 0


def test_signing_in_deletes_dead_sessions(session: Session, provider: str) -> None:
    key = create_key(session, provider_id=provider)
    revoked = create_key(session, provider_id=provider)
    started(session, key)  # expires at NOW + 8 h
    started(session, revoked)  # its key revoked below
    live = started(session, key, NOW + timedelta(hours=1))
    revoke_keys(session, provider_id=provider, prefix=revoked[:12])
    later = NOW + HOURS_8
    newest = started(session, key, later)
    hashes = set(session.execute(select(SignInSession.id_hash)).scalars())
    assert hashes == {hash_key(live), hash_key(newest)}
