"""kill -9 of the sync worker while it applies batches, and of an import half-way through.

The worker deletes outbox rows only after the engine took their batch, and re-reads the
activities it applies: a worker killed anywhere and restarted must end with the index equal
to the catalog, nothing lost and nothing twice. An import is one transaction: killed while
writing, it must leave nothing behind, and running it again must write it all.
"""

from __future__ import annotations

import json
import random
import signal
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from catalog.db import session_scope
from catalog.demo import demo_activities
from catalog.importers import Record
from catalog.imports import import_records
from catalog.service import delete_activity
from tests.reliability.processes import (
    Deployment,
    Process,
    assert_index_matches_catalog,
    wait_until,
)

SEED = 20261122
TODAY = date(2030, 1, 1)  # the demo's dates are drawn around it; nothing is refused as past
WORKER_KILLS = 3
IMPORT_SIZE = 10_000  # 5 write batches of 2,000; 20,000 only doubles the time
# Bytes the catalog must have grown by (SQLite: its WAL; PostgreSQL: the activity table's
# heap) before the import is killed: one or two of its write batches are in by then.
WRITTEN_BYTES = 2_000_000


def demo_records(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """Realistic, varied activity records (boards, places, unlisted ones, some without MOC)."""
    return [record for _, record in demo_activities(count, seed, TODAY)]


def write_in_process(d: Deployment, records: list[dict[str, Any]]) -> None:
    """Set-up writes through the import code path, without starting a process."""
    with session_scope(d.db, write=True) as session:
        batch = [Record(f"line {n}", data=r) for n, r in enumerate(records, 1)]
        report = import_records(session, provider_id=d.provider, records=batch)
    assert report.ok, report.rejections[:3]


def delete_in_process(d: Deployment, keys: list[str]) -> None:
    with session_scope(d.db, write=True) as session:
        for key in keys:
            delete_activity(session, provider_id=d.provider, provider_activity_id=key)


def make_backlog(d: Deployment, rng: random.Random) -> int:
    """Thousands of outbox rows: creations, then replacements (some unlisted), then deletions."""
    records = demo_records(4000)
    write_in_process(d, records)
    replaced = rng.sample(records, 2000)
    write_in_process(
        d,
        [r | {"title": f"{r['title']} (revised)", "listed": rng.random() < 0.7} for r in replaced],
    )
    delete_in_process(d, [r["provider_activity_id"] for r in rng.sample(records, 400)])
    return d.outbox_size()


@pytest.mark.parametrize("deployment", ["postgresql"], indirect=True)
def test_sync_worker_killed_while_applying_batches_loses_and_doubles_nothing(
    deployment: Deployment,
) -> None:
    d = deployment
    rng = random.Random(SEED)
    backlog = make_backlog(d, rng)
    assert backlog == 4000 + 2000 + 400  # 13 batches; each kill costs at most 2 or 3
    worker = d.start_worker()
    for kill in range(WORKER_KILLS):
        # A batch went through the engine and out of the outbox; the next one is under way.
        wait_until(shrinks(d), 60, f"a batch to be applied before kill {kill + 1}")
        time.sleep(rng.uniform(0, 0.15))  # land the kill anywhere in the next batch (~0.2 s)
        worker.kill()
        assert worker.popen.returncode == -signal.SIGKILL
        assert d.outbox_size() > 0, "the worker finished before it was killed: use more rows"
        worker = d.start_worker()
    d.wait_drained(120)
    assert worker.alive()
    assert assert_index_matches_catalog(d.db, d.index_root) > 2000


def shrinks(d: Deployment) -> Callable[[], bool]:
    """A condition that holds once the outbox is smaller than it is now."""
    now = d.outbox_size()
    return lambda: d.outbox_size() < now


@pytest.fixture(scope="module")
def big_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """IMPORT_SIZE records in one JSONL file, made once for both catalog backends."""
    path = tmp_path_factory.mktemp("import") / "activities.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for record in demo_records(IMPORT_SIZE, seed=SEED + 1):
            f.write(json.dumps(record) + "\n")
    return path


@pytest.mark.parametrize("deployment", ["sqlite", "postgresql"], indirect=True)
def test_import_killed_while_writing_leaves_nothing_and_a_rerun_writes_everything(
    deployment: Deployment, big_jsonl: Path
) -> None:
    d = deployment
    write_in_process(
        d, [r | {"provider_activity_id": f"OLD{i}"} for i, r in enumerate(demo_records(50))]
    )
    before = d.counts()
    importer = d.start_cli("import", "import", str(big_jsonl), "--provider", d.provider)
    wait_until(wrote(d, importer), 120, f"the import to write {WRITTEN_BYTES} bytes")
    importer.kill()
    assert importer.popen.returncode == -signal.SIGKILL
    assert d.counts() == before

    rerun = d.cli("import", str(big_jsonl), "--provider", d.provider, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"{IMPORT_SIZE} created, 0 updated" in rerun.stderr
    after = d.counts()
    assert after["Activity"] == before["Activity"] + IMPORT_SIZE
    assert after["OutboxEntry"] == before["OutboxEntry"] + IMPORT_SIZE
    d.start_worker()
    d.wait_drained(180)
    assert assert_index_matches_catalog(d.db, d.index_root) > IMPORT_SIZE * 0.8


def wrote(d: Deployment, importer: Process) -> Callable[[], bool]:
    """A condition: the running import has written WRITTEN_BYTES (uncommitted) by now."""
    grown = written_bytes(d)
    start = next(grown)

    def check() -> bool:
        if not importer.alive():
            raise AssertionError(f"the import ended before it was killed:\n{importer.tail()}")
        return next(grown) - start > WRITTEN_BYTES

    return check


def written_bytes(d: Deployment) -> Iterator[int]:
    """Yield, each time asked, how many bytes the catalog's writes have taken on disk."""
    if d.db.dialect.name == "sqlite":
        with d.db.connect() as conn:  # start from an empty WAL
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        wal = Path(d.db.url.database or "").with_name("catalog.db-wal")
        while True:
            yield wal.stat().st_size if wal.exists() else 0
    # Uncommitted rows already extend the table's files, as any session can see.
    while True:
        with d.db.connect() as conn:
            yield int(conn.execute(text("SELECT pg_relation_size('activity')")).scalar_one())
