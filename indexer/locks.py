"""The lock that keeps the sync worker out of the way of a full rebuild.

While a rebuild holds it, writes pile up in the outbox; the worker applies them to the new
index once the rebuild has switched over, so nothing written during a rebuild is lost.

With a PostgreSQL catalog the lock is an advisory lock in that database, so a rebuild may
run on any host that reaches it, and a process that dies (even by kill -9) releases it with
its connection. With SQLite, which lives on one host, it is a file lock next to the data.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

# One advisory lock per catalog database ("mocsync"); advisory locks are per database.
ADVISORY_KEY = 0x6D6F_6373_796E_63


@contextmanager
def sync_lock(db: Engine, path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold the sync lock of this catalog; with ``wait`` off, yield False if it is taken."""
    lock = (
        _advisory(db, wait=wait) if db.dialect.name == "postgresql" else exclusive(path, wait=wait)
    )
    with lock as held:
        yield held


@contextmanager
def exclusive(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive lock on ``path``; with ``wait`` off, yield False if it is taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle.fileno(), flags)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def _advisory(db: Engine, *, wait: bool) -> Iterator[bool]:
    """A session-level advisory lock, held on a connection of its own for the whole block."""
    connection = db.connect()
    try:
        function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        result = connection.execute(text(f"SELECT {function}(:key)"), {"key": ADVISORY_KEY})
        held = wait or bool(result.scalar())
        connection.commit()
        if not held:
            yield False
            return
        try:
            yield True
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            connection.commit()
    except BaseException:
        # The connection may still hold the lock: never hand it back to the pool.
        connection.invalidate()
        raise
    finally:
        connection.close()
