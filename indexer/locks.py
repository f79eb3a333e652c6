"""A cross-process lock that keeps the sync worker out of the way of a full rebuild.

While a rebuild holds it, writes pile up in the outbox; the worker applies them to the new
index once the rebuild has switched over, so nothing written during a rebuild is lost.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
