"""The sync lock on both catalogs: exclusive across connections and processes, released by a
holder that dies. PostgreSQL: an advisory lock in the catalog database; SQLite: a file lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from sqlalchemy import Engine

from indexer.locks import sync_lock


def test_a_held_lock_is_refused_then_free_after_release(db_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "sync.lock"
    with sync_lock(db_engine, path) as held:
        assert held
        with sync_lock(db_engine, path, wait=False) as second:
            assert not second
    with sync_lock(db_engine, path, wait=False) as again:
        assert again


def test_a_waiting_holder_gets_the_lock_when_it_is_released(
    db_engine: Engine, tmp_path: Path
) -> None:
    path, released = tmp_path / "sync.lock", threading.Event()
    order: list[str] = []

    def first() -> None:
        with sync_lock(db_engine, path):
            order.append("first holds")
            released.wait(5)
            order.append("first releases")

    holder = threading.Thread(target=first)
    holder.start()
    deadline = time.monotonic() + 5
    while "first holds" not in order and time.monotonic() < deadline:
        time.sleep(0.01)
    threading.Timer(0.3, released.set).start()
    with sync_lock(db_engine, path):  # waits
        order.append("second holds")
    holder.join(5)
    assert order == ["first holds", "first releases", "second holds"]


def test_a_holder_killed_with_sigkill_releases_the_lock(db_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "sync.lock"
    url = db_engine.url.render_as_string(hide_password=False)
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from catalog.db import make_engine
        from indexer.locks import sync_lock
        with sync_lock(make_engine({url!r}), Path({str(path)!r})):
            print("held", flush=True)
            time.sleep(60)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "held"
        with sync_lock(db_engine, path, wait=False) as taken:
            assert not taken
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        deadline = time.monotonic() + 10
        while True:  # PostgreSQL notices the closed connection within moments
            with sync_lock(db_engine, path, wait=False) as free:
                if free:
                    break
            assert time.monotonic() < deadline, "the dead holder's lock was never released"
            time.sleep(0.05)
    finally:
        child.kill()
        child.wait(10)
        child.stdout.close()


def test_on_postgresql_the_lock_is_in_the_database_not_in_a_file(
    db_engine: Engine, tmp_path: Path
) -> None:
    # Two hosts never share a lock file: on PostgreSQL, holders with different files (as on
    # two hosts) still exclude each other; SQLite, on one host, keeps the file lock.
    with sync_lock(db_engine, tmp_path / "host-a" / "sync.lock") as held:
        assert held
        with sync_lock(db_engine, tmp_path / "host-b" / "sync.lock", wait=False) as other:
            assert other is (db_engine.dialect.name != "postgresql")
