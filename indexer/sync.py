"""The sync worker: drains the outbox into the search engine.

Each batch re-reads the current state of the activities it names, so applying a batch twice,
or batches out of order, gives the same index (idempotent, order-safe). Outbox rows are
deleted only after the engine has acknowledged the batch: an outage or a crash delays the
index but loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from catalog import repository as repo
from catalog.db import session_scope
from catalog.service import indexable_activities
from indexer.documents import to_document
from indexer.engines.base import SearchEngine
from indexer.errors import EngineUnavailable
from indexer.locks import sync_lock

log = logging.getLogger(__name__)
BATCH = 500
MAX_BACKOFF_S = 30.0


@dataclass
class Syncer:
    """Moves outbox rows into one search engine."""

    db: Engine
    engine: SearchEngine
    lock_path: Path
    batch: int = BATCH
    prepared: bool = False

    def sync_batch(self) -> int:
        """Apply the oldest outbox batch; return how many rows it held (0: nothing to do).

        Raises EngineUnavailable when the engine did not take the batch (rows are kept).
        Returns 0 while a rebuild holds the lock.
        """
        with sync_lock(self.db, self.lock_path, wait=False) as locked:
            if not locked:
                return 0
            if not self.prepared:
                self.engine.prepare()
                self.prepared = True
            with session_scope(self.db) as session:
                rows = repo.outbox_batch(session, self.batch)
                ids = list(dict.fromkeys(activity_id for _, activity_id in rows))
                docs = [
                    to_document(a) for part in indexable_activities(session, ids=ids) for a in part
                ]
            if not rows:
                return 0
            present = {d["id"] for d in docs}
            self.engine.apply(docs, [i for i in ids if i not in present])
            # A transaction of its own that starts with the write: on SQLite a read
            # transaction upgraded to a write fails at once if another write came between.
            with session_scope(self.db, write=True) as session:
                repo.delete_outbox(session, [row_id for row_id, _ in rows])
            return len(rows)

    def drain(self) -> int:
        """Apply batches until the outbox is empty; return the rows applied."""
        total = 0
        while done := self.sync_batch():
            total += done
        return total

    def run(
        self,
        stop: threading.Event,
        interval_s: float,
        on_batch: Callable[[int], None] | None = None,
        wake: threading.Event | None = None,
    ) -> None:
        """Drain, wait, repeat until ``stop`` is set; back off while the engine is down.

        Setting ``wake`` cuts the wait short, so a write is searchable at once.
        """
        backoff = interval_s
        while not stop.is_set():
            try:
                done = self.drain()
            except EngineUnavailable as exc:
                log.warning("search engine unavailable, retrying in %.1fs: %s", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            except Exception:  # noqa: BLE001 - a worker must outlive a bad batch; it is retried
                log.exception("sync batch failed; retrying in %.1fs", backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = interval_s
            if done and on_batch:
                on_batch(done)
            if wake is None:
                stop.wait(interval_s)
            else:
                wake.wait(interval_s)
                wake.clear()


class BackgroundSync:
    """The sync worker on a daemon thread, for ``serve`` with the embedded engine."""

    def __init__(self, syncer: Syncer, interval_s: float) -> None:
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.thread = threading.Thread(
            target=syncer.run,
            args=(self.stop, interval_s, None, self.wake),
            name="moc-sync",
            daemon=True,
        )

    def notify(self) -> None:
        """A write was committed: sync now rather than at the next tick."""
        self.wake.set()

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.wake.set()
        self.thread.join(timeout=30)
