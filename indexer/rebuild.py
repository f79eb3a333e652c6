"""Full reindex: build a fresh index from the catalog and switch to it atomically."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections import deque
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
# Worker processes take a second or two to start: worth it only for a large catalog.
PARALLEL_FROM = 50_000
WINDOW = 2000  # activities a worker reads and turns into documents at once


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
            count = engine.rebuild(_batches(db, session, on_progress))
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
        count = engine.rebuild(_batches(db, session, on_progress))
    with session_scope(db, write=True) as session:
        queues.delete_queued(session, seen)
        queues.register_target(session, name)
    return count


def _batches(
    db: Engine, session: Any, on_progress: Callable[[int], None] | None
) -> Iterator[list[dict[str, Any]]]:
    """The search documents of every indexable activity, a window at a time."""
    parallel = (os.cpu_count() or 1) > 1 and count_indexable(db) >= PARALLEL_FROM
    produced = _documents_in_processes(db, session) if parallel else _documents_here(session)
    for docs in produced:
        if on_progress:
            on_progress(len(docs))
        yield docs


def _documents_here(session: Any) -> Iterator[list[dict[str, Any]]]:
    for part in indexable_activities(session):
        yield [to_document(a) for a in part]


def _documents_in_processes(db: Engine, session: Any) -> Iterator[list[dict[str, Any]]]:
    """Read and build the documents in worker processes (``indexer.rebuild_worker``), a
    window of ids each, in id order.

    Building a document is Python work (reading the rows, the models, the document), which
    one process does on one core while the engine indexes on the other: with a worker per
    core, a full rebuild runs about half again as fast. Each worker has at most two windows
    in flight, so memory stays flat however large the catalog.
    """
    url = db.url.render_as_string(hide_password=False)
    command = [sys.executable, "-m", "indexer.rebuild_worker", str(WINDOW)]
    workers = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for _ in range(os.cpu_count() or 1)
    ]
    try:
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(url.encode() + b"\n")  # on stdin: a password stays out of `ps`
        pending: deque[subprocess.Popen[bytes]] = deque()
        after, more, turn = "", True, 0
        while more or pending:
            while more and len(pending) < 2 * len(workers):
                window = repo.activity_ids_after(session, after, WINDOW)
                if not window:
                    more = False
                    break
                worker = workers[turn % len(workers)]
                turn += 1
                assert worker.stdin is not None
                worker.stdin.write(f"{after}\t{window[-1]}\n".encode())
                worker.stdin.flush()
                pending.append(worker)
                after = window[-1]
            if pending:
                yield _answer(pending.popleft())
    finally:
        for worker in workers:
            worker.kill()  # done, or abandoned by an error: either way nothing more is wanted
            worker.wait()
            for pipe in (worker.stdin, worker.stdout):
                if pipe is not None:
                    pipe.close()


def _answer(worker: subprocess.Popen[bytes]) -> list[dict[str, Any]]:
    """The next window's documents from ``worker`` (each answers in the order it was asked)."""
    assert worker.stdout is not None
    size = worker.stdout.read(8)
    if len(size) < 8:
        raise RuntimeError(f"a rebuild worker stopped (exit code {worker.wait()})")
    documents: list[dict[str, Any]] = pickle.loads(worker.stdout.read(int.from_bytes(size, "big")))
    return documents
