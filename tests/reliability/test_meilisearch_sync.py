"""The sync reliability cases on Meilisearch: real servers (killed and restarted), a real
`moc-catalog sync` process with the documented sync key and the app with the search key.

Nothing may be lost or doubled: each case ends with every index equal to the catalog,
document for document (tests/reliability/meili.py).
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import httpx
import pytest

from catalog import search_queue as queues
from catalog.db import session_scope
from tests.meili_server import MeiliServer
from tests.reliability.meili import assert_meili_matches_catalog, servers, use_meilisearch
from tests.reliability.processes import App, Deployment, Process, free_port, wait_until
from tests.reliability.test_engine_outage import (
    BEFORE,
    DURING,
    OUTAGE_WRITES,
    WORKER_FAILED,
    delete,
    put,
    searched_titles,
    write_during_outage,
)
from tests.reliability.test_kills import SEED, make_backlog, shrinks


def start(d: Deployment, search_key: str, sync_key: str) -> tuple[Process, App]:
    """The worker with the sync key, the app (reads only) with the search key."""
    d.settings["MOC_MEILI_KEY"] = sync_key
    worker = d.start_worker()
    d.settings["MOC_MEILI_KEY"] = search_key
    return worker, d.start_app(free_port())


def matches(d: Deployment, server: MeiliServer) -> bool:
    try:
        assert_meili_matches_catalog(d.db, server)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("deployment", ["postgresql"], indirect=True)
def test_writes_while_meilisearch_is_down_are_all_searchable_once_it_is_back(
    deployment: Deployment, tmp_path: Path
) -> None:
    d = deployment
    (meili,) = servers(tmp_path, 1)
    try:
        worker, app = start(d, *use_meilisearch(d, [meili]))
        for i in range(BEFORE):
            put(app, d, f"B{i}", title=f"Before outage {i}")
        wanted = {f"Before outage {i}" for i in range(BEFORE)}
        wait_until(lambda: searched_titles(app) == wanted, 30, "the first writes to show")
        d.wait_drained(30)

        meili.kill()
        write_during_outage(app, d)
        assert d.outbox_size() == OUTAGE_WRITES
        wait_until(lambda: worker.output().count(WORKER_FAILED) >= 2, 60, "2 failed tries")
        assert d.outbox_size() == OUTAGE_WRITES, "an outbox row left without being indexed"
        assert worker.alive(), "the worker died instead of retrying"
        assert httpx.get(f"{app.url}/api/v1/activities", timeout=30).status_code == 503

        meili.start()
        d.wait_drained(90)
        wanted = {f"During outage {i}" for i in range(DURING)}
        wanted |= {f"Before outage {i} replaced" for i in range(3)}
        wanted |= {f"Before outage {i}" for i in range(6, BEFORE)}
        wait_until(lambda: searched_titles(app) == wanted, 30, "the outage's writes to show")
        assert assert_meili_matches_catalog(d.db, meili) == len(wanted)
    finally:
        d.processes.kill_all()
        meili.stop()


@pytest.mark.parametrize("deployment", ["postgresql"], indirect=True)
def test_worker_and_meilisearch_killed_mid_sync_lose_and_double_nothing(
    deployment: Deployment, tmp_path: Path
) -> None:
    """The sync worker SIGKILLed mid-batch twice, then Meilisearch SIGKILLed and restarted
    while batches are under way (tasks it had enqueued are re-run or lost; the worker's
    unacknowledged batch stays in the outbox and is applied again)."""
    d = deployment
    rng = random.Random(SEED)
    (meili,) = servers(tmp_path, 1)
    try:
        search_key, sync_key = use_meilisearch(d, [meili])
        d.settings["MOC_MEILI_KEY"] = sync_key
        assert make_backlog(d, rng) == 6400
        worker = d.start_worker()
        for kill in range(2):
            wait_until(shrinks(d), 120, f"a batch to be applied before worker kill {kill + 1}")
            time.sleep(rng.uniform(0, 0.3))
            worker.kill()
            assert worker.popen.returncode == -signal.SIGKILL
            worker = d.start_worker()
        wait_until(shrinks(d), 120, "a batch to be applied before the Meilisearch kill")
        time.sleep(rng.uniform(0, 0.3))
        meili.kill()
        assert d.outbox_size() > 0, "the worker finished before Meilisearch was killed"
        time.sleep(1.0)
        meili.start()
        d.wait_drained(240)
        assert worker.alive()
        assert assert_meili_matches_catalog(d.db, meili) > 2000
    finally:
        d.processes.kill_all()
        meili.stop()


def queue_depths(d: Deployment) -> dict[str, int]:
    with session_scope(d.db) as session:
        return {t: n for t, (n, _) in queues.queue_stats(session).items()}


def target_of(server: MeiliServer) -> str:
    return f"meilisearch {server.url} activities"


@pytest.mark.parametrize("deployment", ["postgresql"], indirect=True)
def test_two_instances_one_killed_and_restarted(deployment: Deployment, tmp_path: Path) -> None:
    """MOC_MEILI_URLS: each instance progresses on its own; the one that was down catches up;
    the app reads from one that answers; /readyz and /metrics report each; reindex covers both.
    """
    d = deployment
    first, second = servers(tmp_path, 2)
    try:
        search_key, sync_key = use_meilisearch(d, [first, second])
        worker, app = start(d, search_key, sync_key)
        for i in range(5):
            put(app, d, f"A{i}", title=f"Shared {i}")
        for server in (first, second):
            wait_until(lambda s=server: matches(d, s), 60, f"{server.url} to hold the writes")
        wait_until(lambda: sum(queue_depths(d).values()) == 0, 30, "both queues to drain")

        second.kill()
        for i in range(10):
            put(app, d, f"B{i}", title=f"While one is down {i}")
        delete(app, d, "A0")
        wait_until(lambda: matches(d, first), 60, "the live instance to take the writes")
        wait_until(lambda: target_of(first) not in queue_depths(d), 30, "its queue to drain")
        assert queue_depths(d) == {target_of(second): 11}  # waiting for the killed one only
        ready = httpx.get(f"{app.url}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text
        assert ready.json()["instances"] == {first.url: "ok", second.url: "unavailable"}
        metrics = httpx.get(f"{app.url}/metrics", timeout=30).text
        assert f'moc_search_instance_up{{url="{second.url}"}} 0.0' in metrics
        assert f'moc_search_queue_depth{{target="{target_of(second)}"}} 11.0' in metrics
        assert len(searched_titles(app)) == 14

        second.start()
        wait_until(lambda: matches(d, second), 90, "the restarted instance to catch up")
        wait_until(lambda: queue_depths(d) == {}, 30, "its queue to drain")
        assert worker.alive()

        first.kill()  # the app fails over to the other instance for reading
        assert len(searched_titles(app)) == 14
        first.start()
        put(app, d, "C0", title="After both came back")
        for server in (first, second):
            wait_until(lambda s=server: matches(d, s), 90, f"{server.url} to take the last write")

        worker.kill()
        d.settings["MOC_MEILI_KEY"] = sync_key
        reindex = d.cli("reindex", timeout=300)
        assert reindex.returncode == 0, reindex.stderr[-2000:]
        for server in (first, second):
            assert assert_meili_matches_catalog(d.db, server) == 15
    finally:
        d.processes.kill_all()
        first.stop()
        second.stop()
