"""An outage of the embedded engine under a real sync worker process: the index's disk fills up.

The index lives on a small tmpfs of its own. Filling it makes every tantivy commit of the
worker fail (ENOSPC on the new segment files) while the catalog, elsewhere, keeps taking
writes through the provider API of a real app process. Freeing the space ends the outage.
"""

from __future__ import annotations

import errno
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest

from tests.builders import make_record
from tests.conftest import IN_CI
from tests.reliability.processes import (
    App,
    Deployment,
    assert_index_matches_catalog,
    free_port,
    wait_until,
)

INDEX_DISK = "16m"  # room for the index of these few activities, little else
BEFORE, DURING = 10, 20
OUTAGE_WRITES = DURING + 3 + 3  # new, replaced, deleted
WORKER_FAILED = "search engine unavailable"  # what the worker logs for a refused batch


@contextmanager
def small_disk(path: Path) -> Iterator[None]:
    """Mount a tmpfs of INDEX_DISK at ``path`` (root only) and unmount it afterwards."""
    path.mkdir(parents=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={INDEX_DISK}", "tmpfs", str(path)]
    done = subprocess.run(mount, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs for the index (needs root): {done.stderr.strip()}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield
    finally:
        # Lazy as a last resort: a leftover mount must not break the next test run.
        if subprocess.run(["umount", str(path)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], check=True)


@contextmanager
def kept_full(disk: Path) -> Iterator[None]:
    """Fill ``disk`` with a file of zeros and keep it full until the block ends.

    Kept, not just filled: tantivy deletes files it no longer needs (a failed commit's
    leftovers, merged segments), and the space they free would let the next commit through.
    """
    filler, stop = disk / "filler", threading.Event()

    def top_up(handle: BinaryIO, size: int) -> None:
        while True:
            try:
                handle.write(bytes(size))
                handle.flush()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                return

    with filler.open("wb", buffering=0) as handle:
        top_up(handle, 1 << 16)

        def keep() -> None:
            while not stop.wait(0.002):
                top_up(handle, 512)

        keeper = threading.Thread(target=keep, daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()
    filler.unlink()


def put(app: App, d: Deployment, key: str, **fields: Any) -> None:
    response = httpx.put(
        f"{app.url}/api/v1/providers/{d.provider}/activities/{key}",
        json=make_record(provider_activity_id=key, **fields),
        headers={"Authorization": f"Bearer {d.key}"},
        timeout=30,
    )
    assert response.status_code in (200, 201), response.text


def delete(app: App, d: Deployment, key: str) -> None:
    response = httpx.delete(
        f"{app.url}/api/v1/providers/{d.provider}/activities/{key}",
        headers={"Authorization": f"Bearer {d.key}"},
        timeout=30,
    )
    assert response.status_code == 204, response.text


def searched_titles(app: App) -> set[str]:
    """Every public title the app finds (the test writes fewer than one page of them)."""
    response = httpx.get(f"{app.url}/api/v1/activities", params={"per_page": 100}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["hits"]) < 100, body["total"]
    return {hit["title"] for hit in body["hits"]}


@pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)
def test_writes_during_a_full_index_disk_are_all_searchable_after_it_is_freed(
    deployment: Deployment,
) -> None:
    d = deployment
    with small_disk(d.index_root):
        try:
            worker = d.start_worker()
            app = d.start_app(free_port())
            for i in range(BEFORE):
                put(app, d, f"B{i}", title=f"Before outage {i}")
            wanted = {f"Before outage {i}" for i in range(BEFORE)}
            wait_until(lambda: searched_titles(app) == wanted, 30, "the first writes to show")

            d.wait_drained(30)
            with kept_full(d.index_root):
                write_during_outage(app, d)
                assert d.outbox_size() == OUTAGE_WRITES
                wait_until(lambda: worker.output().count(WORKER_FAILED) >= 3, 30, "3 failed tries")
                assert d.outbox_size() == OUTAGE_WRITES, "an outbox row left without being indexed"
                assert worker.alive(), "the worker died instead of retrying"
                assert searched_titles(app) == wanted  # the index as it was before the outage
            d.wait_drained(60)
            wanted = {f"During outage {i}" for i in range(DURING)}
            wanted |= {f"Before outage {i} replaced" for i in range(3)}
            wanted |= {f"Before outage {i}" for i in range(6, BEFORE)}  # 3 to 5 were deleted
            wait_until(lambda: searched_titles(app) == wanted, 30, "the outage's writes to show")
            assert worker.alive(), "the worker died instead of retrying"
            assert assert_index_matches_catalog(d.db, d.index_root) == len(wanted)
        finally:
            d.processes.kill_all()  # nothing may hold files on the disk being unmounted


def write_during_outage(app: App, d: Deployment) -> None:
    """Twenty new activities, three replaced, three deleted: one outbox row each."""
    for i in range(DURING):
        put(app, d, f"D{i}", title=f"During outage {i}")
    for i in range(3):
        put(app, d, f"B{i}", title=f"Before outage {i} replaced")
    for i in range(3, 6):
        delete(app, d, f"B{i}")
