"""Full reindex: build a fresh index from the catalog and switch to it atomically."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from catalog import repository as repo
from catalog.db import session_scope
from catalog.service import indexable_activities
from indexer.documents import to_document
from indexer.engines.base import SearchEngine
from indexer.locks import sync_lock


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
    return count


def _batches(
    session: Any, on_progress: Callable[[int], None] | None
) -> Iterator[list[dict[str, Any]]]:
    for part in indexable_activities(session):
        docs = [to_document(a) for a in part]
        if on_progress:
            on_progress(len(docs))
        yield docs
