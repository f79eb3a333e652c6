"""The sync worker and the rebuild against a real SQLite catalog and a real tantivy index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from catalog import migrate
from catalog import repository as repo
from catalog.db import make_engine, session_scope
from catalog.providers import add_provider
from catalog.rules import parse_activity
from catalog.service import delete_activity, indexable_activities, upsert_activity
from indexer import rebuild
from indexer.engines.tantivy import TantivyEngine
from indexer.errors import EngineUnavailable
from indexer.query import parse_search
from indexer.rebuild import rebuild_index
from indexer.service import SearchService
from indexer.sync import Syncer
from tests.builders import make_record

TODAY = date(2030, 1, 1)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        add_provider(session, provider_id="acme", name="ACME CME")
    yield engine
    engine.dispose()


class FlakyEngine(TantivyEngine):
    """The real tantivy engine, made to refuse writes while ``down`` is set (an outage)."""

    down = False

    def apply(self, upserts: list[dict[str, Any]], deletes: list[str]) -> None:
        if self.down:
            raise EngineUnavailable("injected outage")
        super().apply(upserts, deletes)


def write(db: Engine, *records: dict[str, Any]) -> None:
    with session_scope(db) as session:
        for record in records:
            upsert_activity(session, provider_id="acme", data=parse_activity(record))


def remove(db: Engine, provider_activity_id: str) -> None:
    with session_scope(db) as session:
        delete_activity(session, provider_id="acme", provider_activity_id=provider_activity_id)


def indexed_titles(engine: TantivyEngine) -> list[str]:
    service = SearchService(engine, today=lambda: TODAY)
    result = service.search(parse_search({"per_page": ["100"], "sort": ["title"]}))
    assert result.total == len(result.hits)
    return [h["title"] for h in result.hits]


def catalog_titles(db: Engine) -> list[str]:
    with session_scope(db) as session:
        titles = [a.title for part in indexable_activities(session) for a in part]
    return sorted(titles, key=str.casefold)


def outbox_size(db: Engine) -> int:
    with session_scope(db) as session:
        return repo.count_outbox(session)


def test_sync_applies_upserts_and_deletes_and_empties_outbox(db: Engine, tmp_path: Path) -> None:
    engine = TantivyEngine(tmp_path / "index")
    syncer = Syncer(db, engine, tmp_path / "sync.lock")
    write(db, *(make_record(provider_activity_id=f"A{i}", title=f"Activity {i}") for i in range(5)))
    write(db, make_record(provider_activity_id="HIDDEN", title="Hidden one", listed=False))
    assert syncer.drain() == 6
    assert indexed_titles(engine) == [f"Activity {i}" for i in range(5)]
    write(db, make_record(provider_activity_id="A1", title="Activity 1 renamed"))
    write(db, make_record(provider_activity_id="A2", title="Activity 2", listed=False))
    remove(db, "A3")
    assert syncer.drain() == 3
    assert indexed_titles(engine) == ["Activity 0", "Activity 1 renamed", "Activity 4"]
    assert outbox_size(db) == 0


def test_sync_outage_keeps_every_write_until_recovery(db: Engine, tmp_path: Path) -> None:
    engine = FlakyEngine(tmp_path / "index")
    syncer = Syncer(db, engine, tmp_path / "sync.lock", batch=7)
    write(db, *(make_record(provider_activity_id=f"A{i}", title=f"Before {i}") for i in range(3)))
    syncer.drain()
    engine.down = True
    write(db, *(make_record(provider_activity_id=f"B{i}", title=f"During {i}") for i in range(20)))
    write(db, make_record(provider_activity_id="A0", title="Before 0 changed"))
    remove(db, "A1")
    for _ in range(3):
        with pytest.raises(EngineUnavailable):
            syncer.sync_batch()
    assert outbox_size(db) == 22
    engine.down = False
    assert syncer.drain() == 22
    assert indexed_titles(engine) == catalog_titles(db)
    assert len(indexed_titles(engine)) == 22


def test_sync_worker_killed_mid_batch_loses_nothing(db: Engine, tmp_path: Path) -> None:
    """A worker SIGKILLed after the engine took a batch but before the outbox rows went."""
    write(db, *(make_record(provider_activity_id=f"A{i}", title=f"Item {i}") for i in range(30)))
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from catalog import repository
        from catalog.db import make_engine
        from indexer.engines.tantivy import TantivyEngine
        from indexer.sync import Syncer

        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        repository.delete_outbox = die
        db = make_engine({str(db.url)!r})
        index = TantivyEngine(Path({str(tmp_path / "index")!r}))
        Syncer(db, index, Path({str(tmp_path / "lock")!r}), batch=10).drain()
    """)
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=120)
    assert done.returncode == -signal.SIGKILL
    assert outbox_size(db) == 30
    engine = TantivyEngine(tmp_path / "index")
    assert len(indexed_titles(engine)) == 10  # the killed batch reached the index
    assert Syncer(db, engine, tmp_path / "lock", batch=10).drain() == 30
    assert indexed_titles(engine) == catalog_titles(db)
    assert len(indexed_titles(engine)) == 30


def test_sync_waits_while_a_rebuild_holds_the_lock(db: Engine, tmp_path: Path) -> None:
    from indexer.locks import exclusive

    engine = TantivyEngine(tmp_path / "index")
    syncer = Syncer(db, engine, tmp_path / "sync.lock")
    write(db, make_record())
    with exclusive(tmp_path / "sync.lock"):
        assert syncer.sync_batch() == 0
    assert syncer.sync_batch() == 1


def test_second_writer_process_is_refused_then_works(db: Engine, tmp_path: Path) -> None:
    """tantivy allows one writer per index: a second process gets EngineUnavailable."""
    engine = TantivyEngine(tmp_path / "index")
    holder = textwrap.dedent(f"""
        import sys, time, tantivy
        from pathlib import Path
        from indexer.engines.tantivy import TantivyEngine
        engine = TantivyEngine(Path({str(tmp_path / "index")!r}))
        writer = engine._index().writer(15_000_000, 1)
        print("locked", flush=True)
        sys.stdin.readline()
    """)
    process = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        with pytest.raises(EngineUnavailable, match="written elsewhere"):
            engine.apply([], ["nothing"])
    finally:
        process.communicate("\n", timeout=60)
    engine.apply([], ["nothing"])


def test_rebuild_during_concurrent_searches_never_fails_or_empties(
    db: Engine, tmp_path: Path
) -> None:
    write(db, *(make_record(provider_activity_id=f"A{i}", title=f"Course {i}") for i in range(40)))
    engine = TantivyEngine(tmp_path / "index")
    rebuild_index(db, engine, tmp_path / "sync.lock")
    service = SearchService(engine, today=lambda: TODAY)
    seen: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def searcher() -> None:
        reader = TantivyEngine(tmp_path / "index")  # as another worker would open it
        other = SearchService(reader, today=lambda: TODAY)
        while not stop.is_set():
            for svc in (service, other):
                try:
                    seen.append(svc.search(parse_search({"q": ["course"]})).total)
                except BaseException as exc:  # noqa: BLE001 - any failure fails the test
                    failures.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(5):
            assert rebuild_index(db, engine, tmp_path / "sync.lock") == 40
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert len(seen) > 10
    assert set(seen) == {40}
    assert len(list((tmp_path / "index").glob("gen-*"))) == 2  # live and previous


def test_rebuild_clears_seen_outbox_rows_only(db: Engine, tmp_path: Path) -> None:
    write(db, *(make_record(provider_activity_id=f"A{i}") for i in range(3)))
    engine = TantivyEngine(tmp_path / "index")
    assert rebuild_index(db, engine, tmp_path / "sync.lock") == 3
    assert outbox_size(db) == 0
    write(db, make_record(provider_activity_id="LATE", title="Written after the rebuild"))
    assert outbox_size(db) == 1
    assert "Written after the rebuild" not in indexed_titles(engine)
    Syncer(db, engine, tmp_path / "sync.lock").drain()
    assert "Written after the rebuild" in indexed_titles(engine)


def test_stale_reader_process_sees_new_generation(db: Engine, tmp_path: Path) -> None:
    write(db, make_record(provider_activity_id="A", title="First"))
    writer = TantivyEngine(tmp_path / "index")
    reader = TantivyEngine(tmp_path / "index")
    rebuild_index(db, writer, tmp_path / "sync.lock")
    assert indexed_titles(reader) == ["First"]
    write(db, make_record(provider_activity_id="B", title="Second"))
    rebuild_index(db, writer, tmp_path / "sync.lock")
    assert indexed_titles(reader) == ["First", "Second"]
    assert os.path.exists(tmp_path / "index" / "CURRENT")


def test_worker_processes_build_the_documents_a_rebuild_builds_itself(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large catalog's rebuild reads and builds documents in worker processes (real ones,
    `python -m indexer.rebuild_worker`): windows in id order, none lost, none twice."""
    write(db, *(make_record(provider_activity_id=f"W-{n:02d}", title=f"Window {n}")
                for n in range(23)))  # fmt: skip
    write(db, make_record(provider_activity_id="HIDDEN", listed=False))
    monkeypatch.setattr(rebuild, "WINDOW", 5)  # five windows for two workers
    with session_scope(db) as session:
        here = [d for part in rebuild._documents_here(session) for d in part]
        there = [d for part in rebuild._documents_in_processes(db, session) for d in part]
    assert len(here) == 23
    assert there == here
