"""Full reindex: build a fresh index from the catalog and switch to it atomically."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from catalog import repository as repo
from catalog import search_queue as queues
from catalog.db import session_scope
from catalog.service import indexable_activities
from indexer.documents import to_document
from indexer.engines.base import SearchEngine
from indexer.errors import EngineUnavailable
from indexer.locks import sync_lock

FAN_OUT = 5000  # outbox rows moved into the per-index queues per transaction


def count_indexable(db: Engine) -> int:
    with session_scope(db) as session:
        subquery = repo.indexable_activities().subquery()
        return int(session.execute(select(func.count()).select_from(subquery)).scalar_one())


def rebuild_index(
    db: Engine,
    engine: SearchEngine,
    lock_path: Path,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuild the engine's index from the catalog; return the number of documents.

    The sync worker waits on the lock meanwhile. Outbox rows already committed when the
    rebuild starts are reflected in what it reads, so they are deleted after the switch;
    later ones stay for the worker.
    """
    with sync_lock(db, lock_path):
        with session_scope(db) as session:
            seen = repo.outbox_ids(session)
        with session_scope(db) as session:
            count = engine.rebuild(_batches(session, on_progress))
        with session_scope(db, write=True) as session:
            repo.delete_outbox(session, seen)
            queues.forget_targets(session, keep=[])  # see Syncer.sync_batch
    return count


def rebuild_targets(
    db: Engine,
    targets: Sequence[tuple[str, SearchEngine]],
    lock_path: Path,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuild every index the worker feeds (MOC_MEILI_URLS); return the document count.

    Each index is rebuilt and registered on its own: one that does not answer keeps its old
    documents and its queue (the worker brings it up to date when it is back), and this
    raises EngineUnavailable naming it once the others are done.
    """
    failed: list[str] = []
    count = 0
    with sync_lock(db, lock_path):
        names = [name for name, _ in targets]
        with session_scope(db, write=True) as session:
            queues.forget_targets(session, keep=names)
        while True:
            with session_scope(db, write=True) as session:
                if not queues.fan_out(session, names, FAN_OUT):
                    break
        for name, engine in targets:
            try:
                engine.prepare()
                count = rebuild_target(db, name, engine, on_progress)
            except EngineUnavailable as exc:
                failed.append(f"{name}: {exc}")
    if failed:
        raise EngineUnavailable("not rebuilt: " + "; ".join(failed))
    return count


def rebuild_target(
    db: Engine, name: str, engine: SearchEngine, on_progress: Callable[[int], None] | None = None
) -> int:
    """Rebuild one of several indexes (the caller holds the sync lock) and register it.

    Its queue rows present now are reflected in what the rebuild reads, so they go after it;
    rows fanned out later stay for the worker.
    """
    with session_scope(db) as session:
        seen = queues.queue_ids(session, name)
    with session_scope(db) as session:
        count = engine.rebuild(_batches(session, on_progress))
    with session_scope(db, write=True) as session:
        queues.delete_queued(session, seen)
        queues.register_target(session, name)
    return count


def _batches(
    session: Any, on_progress: Callable[[int], None] | None
) -> Iterator[list[dict[str, Any]]]:
    for part in indexable_activities(session):
        docs = [to_document(a) for a in part]
        if on_progress:
            on_progress(len(docs))
        yield docs
