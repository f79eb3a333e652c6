"""A worker process of a full rebuild: turns windows of the catalog into search documents.

    python -m indexer.rebuild_worker <window size>

It reads the catalog's URL on the first line of stdin (a password stays out of the process
list), then one window per line, ``<after>\\t<last>`` (the activity ids after ``after``
up to ``last``, in id order), and answers each with its search documents, pickled, after an
8-byte length. ``indexer.rebuild`` starts these, one per core, so that reading rows and
building documents (Python work) runs beside the engine's indexing.
"""

from __future__ import annotations

import pickle
import sys
from typing import BinaryIO

from sqlalchemy import Engine

from catalog import repository as repo
from catalog.db import make_engine, session_scope
from catalog.service import indexable_activities
from indexer.documents import to_document


def documents_between(db: Engine, after: str, last: str, limit: int) -> list[dict[str, object]]:
    """The search documents of the indexable activities with ``after < id <= last``."""
    with session_scope(db) as session:
        ids = [i for i in repo.activity_ids_after(session, after, limit) if i <= last]
        return [to_document(a) for part in indexable_activities(session, ids=ids) for a in part]


def serve(db: Engine, requests: BinaryIO, answers: BinaryIO, limit: int) -> None:
    while line := requests.readline():
        after, last = line.decode().rstrip("\n").split("\t")
        data = pickle.dumps(documents_between(db, after, last, limit), pickle.HIGHEST_PROTOCOL)
        answers.write(len(data).to_bytes(8, "big"))
        answers.write(data)
        answers.flush()


def main() -> None:
    requests = sys.stdin.buffer
    url = requests.readline().decode().rstrip("\n")
    serve(make_engine(url), requests, sys.stdout.buffer, int(sys.argv[1]))


if __name__ == "__main__":
    main()
