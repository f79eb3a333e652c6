"""The sync worker: drains the outbox into the search engine.

Each batch re-reads the current state of the activities it names, so applying a batch twice,
or batches out of order, gives the same index (idempotent, order-safe). Outbox rows are
deleted only after the engine has acknowledged the batch: an outage or a crash delays the
index but loses nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from catalog import repository as repo
from catalog import search_queue as queues
from catalog.db import session_scope
from catalog.service import indexable_activities
from indexer.documents import to_document
from indexer.engines.base import SearchEngine
from indexer.errors import EngineUnavailable
from indexer.locks import sync_lock
from indexer.rebuild import FAN_OUT, rebuild_target

log = logging.getLogger(__name__)
BATCH = 500
MAX_BACKOFF_S = 30.0


def apply_rows(db: Engine, engine: SearchEngine, rows: list[tuple[int, str]]) -> None:
    """Apply the current state of the activities that queue rows name (idempotent)."""
    ids = list(dict.fromkeys(activity_id for _, activity_id in rows))
    with session_scope(db) as session:
        docs = [to_document(a) for part in indexable_activities(session, ids=ids) for a in part]
    present = {d["id"] for d in docs}
    engine.apply(docs, [i for i in ids if i not in present])


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
                with session_scope(self.db, write=True) as session:
                    # Queues of several indexes fed earlier miss what this worker applies.
                    queues.forget_targets(session, keep=[])
                self.prepared = True
            with session_scope(self.db) as session:
                rows = repo.outbox_batch(session, self.batch)
            if not rows:
                return 0
            apply_rows(self.db, self.engine, rows)
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

    def __init__(self, syncer: Syncer | FanOutSyncer, interval_s: float) -> None:
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


@dataclass
class Target:
    """One index among several the worker feeds; ``name`` keys its queue."""

    name: str
    engine: SearchEngine
    retry_at: float = 0.0
    backoff_s: float = 0.0
    ready: bool = False  # registered (rebuilt at least once) and prepared in this process


@dataclass
class FanOutSyncer:
    """Feeds several independent indexes (MOC_MEILI_URLS), each from a queue of its own.

    Each round moves outbox rows into every index's queue (one transaction), then applies one
    batch per index. An index that is down backs off on its own and catches up from its
    queue when it is back; the others go on. An index never rebuilt from the catalog (new, or
    not fed for a while) is rebuilt before it is fed.
    """

    db: Engine
    targets: list[Target]
    lock_path: Path
    batch: int = BATCH
    interval_s: float = 1.0
    prepared: bool = False

    def sync_batch(self) -> int:
        """One round: fan out, then a batch for every index that is due; rows moved + applied.

        Returns 0 while a rebuild holds the lock, or when there was nothing to do.
        """
        with sync_lock(self.db, self.lock_path, wait=False) as locked:
            if not locked:
                return 0
            names = [t.name for t in self.targets]
            with session_scope(self.db, write=True) as session:
                if not self.prepared:
                    queues.forget_targets(session, keep=names)
                    self.prepared = True
                done = queues.fan_out(session, names, FAN_OUT)
            for target in self.targets:
                if time.monotonic() >= target.retry_at:
                    done += self._feed(target)
            return done

    def _feed(self, target: Target) -> int:
        try:
            if not target.ready:
                target.engine.prepare()
                with session_scope(self.db) as session:
                    registered = target.name in queues.registered_targets(session)
                if not registered:
                    log.warning("search index %s was never rebuilt: rebuilding it", target.name)
                    rebuild_target(self.db, target.name, target.engine)
                target.ready = True
            done = self._apply(target)
        except EngineUnavailable as exc:
            target.backoff_s = min(max(target.backoff_s * 2, self.interval_s), MAX_BACKOFF_S)
            target.retry_at = time.monotonic() + target.backoff_s
            target.ready = False
            log.warning(
                "search engine unavailable (%s), retrying in %.1fs: %s",
                target.name,
                target.backoff_s,
                exc,
            )
            return 0
        target.backoff_s, target.retry_at = 0.0, 0.0
        return done

    def _apply(self, target: Target) -> int:
        with session_scope(self.db) as session:
            rows = queues.queue_batch(session, target.name, self.batch)
        if not rows:
            return 0
        apply_rows(self.db, target.engine, rows)
        with session_scope(self.db, write=True) as session:
            queues.delete_queued(session, [row_id for row_id, _ in rows])
        return len(rows)

    def drain(self) -> int:
        """Apply rounds until none has work left; raise EngineUnavailable if an index is
        still behind because it did not answer."""
        total = 0
        while done := self.sync_batch():
            total += done
        behind = [t.name for t in self.targets if t.retry_at]
        if behind:
            raise EngineUnavailable(f"search indexes not brought up to date: {behind}")
        return total

    def run(
        self,
        stop: threading.Event,
        interval_s: float,
        on_batch: Callable[[int], None] | None = None,
        wake: threading.Event | None = None,
    ) -> None:
        """Rounds until ``stop`` is set; each index backs off on its own while it is down."""
        self.interval_s = interval_s
        while not stop.is_set():
            try:
                done = self.sync_batch()
            except Exception:  # noqa: BLE001 - a worker must outlive a bad round; it is retried
                log.exception("sync round failed; retrying in %.1fs", interval_s)
                done = 0
            if done:
                if on_batch:
                    on_batch(done)
                continue
            waiter = wake or stop
            waiter.wait(interval_s)
            if wake is not None:
                wake.clear()
