"""Randomized provider writes against the production shape, with kill -9 of app and worker.

An app process (uvicorn, MOC_SYNC_IN_APP=false: it only reads the index) takes PUTs,
DELETEs and bulk JSONL imports from a few client threads, each owning its own activities, on
a PostgreSQL catalog; a separate `moc-catalog sync` process feeds the tantivy index. Both
are SIGKILLed several times along the way and restarted. At the end:

- the catalog holds, for every activity, the state of its last acknowledged write, or of a
  later write that a kill interrupted (ambiguous: it may or may not have committed);
- once the worker has drained the outbox, the index holds exactly the catalog's indexable
  activities, each equal to ``to_document`` of its catalog row;
- the app (restarted several times) finds them: it reloads what the worker commits.

The seed is printed; MOC_TEST_SEED replays a run's write sequences (thread timing aside).
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from catalog.db import session_scope
from catalog.demo import demo_activities
from catalog.rules import parse_activity
from catalog.schemas import ActivityIn, ActivityOut
from catalog.service import get_public_provider, list_provider_activities
from tests.reliability.processes import (
    App,
    Deployment,
    Process,
    assert_index_matches_catalog,
    free_port,
    wait_until,
)

SEED = int(os.environ.get("MOC_TEST_SEED", "7211"))
WRITERS = 3
# Bulk imports write the first half of a writer's keys; single writes any of them. Keys of
# the second half get a few single writes each, so their last one is checked most often.
KEYS_PER_WRITER = 300
RECORD_WRITES = 10_000  # PUTs, DELETEs and records of bulk imports, all writers together
KILLS_EACH = 3  # of the app and of the worker, alternating, spread over the run
BULK = (50, 150)  # records per bulk import
TEMPLATES_DAY = date(2030, 1, 1)  # the demo's dates are drawn around it: none has ended
TITLE_WRITE = re.compile(r" write (\d+)$")


@dataclass
class Write:
    """One write to one activity: its new content (None: deleted) and what the client saw."""

    key: str  # the provider_activity_id
    number: int  # unique in the run, and the end of the title: the catalog tells which it holds
    record: dict[str, Any] | None
    outcome: str = "pending"  # "acked" (2xx, or 404 for a delete) or "ambiguous" (cut by a kill)


@dataclass
class Writer:
    """A client thread's activities, their write histories and its progress."""

    index: int
    rng: random.Random
    templates: list[dict[str, Any]]
    histories: dict[str, list[Write]] = field(default_factory=dict)
    done: int = 0  # record writes sent, read by the main thread to time the kills
    serial: int = 0

    def keys(self) -> list[str]:
        return [f"W{self.index}-{k:03d}" for k in range(KEYS_PER_WRITER)]

    def new_write(self, key: str, delete: bool = False) -> Write:
        self.serial += 1
        number = self.index * 1_000_000 + self.serial
        record = None if delete else self.content(key, number)
        write = Write(key, number, record)
        self.histories.setdefault(key, []).append(write)
        return write

    def content(self, key: str, number: int) -> dict[str, Any]:
        """A realistic record (some unlisted, some without MOC) marked with the write number."""
        template = self.rng.choice(self.templates)
        return template | {
            "provider_activity_id": key,
            "title": f"{template['title'][:200]} write {number}",
            "description": f"{template.get('description') or ''} Revision {number}.",
        }


def test_random_writes_with_app_and_worker_kills_end_consistent(deployment: Deployment) -> None:
    d = deployment
    print(f"random writes seed: {SEED} (MOC_TEST_SEED to replay)")  # noqa: T201
    templates = [r for _, r in demo_activities(400, SEED, TEMPLATES_DAY)]
    writers = [Writer(w, random.Random(f"{SEED}-{w}"), templates) for w in range(WRITERS)]
    port = free_port()
    cluster = Cluster(d, port, d.start_app(port), d.start_worker())
    with ThreadPoolExecutor(WRITERS) as pool:
        running = [pool.submit(run_writer, cluster, w) for w in writers]
        try:
            kills = kill_along_the_way(cluster, writers, running, random.Random(SEED))
        except BaseException:
            cluster.stop.set()  # the writers would otherwise keep the pool open
            raise
        for future in running:
            future.result()
    assert kills == {"app": KILLS_EACH, "worker": KILLS_EACH}
    assert sum(w.done for w in writers) >= RECORD_WRITES
    d.wait_drained(60)
    assert cluster.worker.alive()
    assert cluster.app.process.alive()
    check_catalog_against_clients(d, writers)
    indexed = assert_index_matches_catalog(d.db, d.index_root)
    print(summary(writers, indexed))  # noqa: T201
    with session_scope(d.db) as session:
        _, public = get_public_provider(session, d.provider, today=date.today())
    wait_until(lambda: public_total(cluster.app) == public, 30, "the app to find them all")


@dataclass
class Cluster:
    """The processes under test; the kill loop replaces them, the writers use ``app``."""

    d: Deployment
    port: int  # the app's, the same after each restart
    app: App
    worker: Process
    stop: threading.Event = field(default_factory=threading.Event)

    def app_back(self) -> bool:
        return self.stop.is_set() or (self.app.process.alive() and healthy(self.app))


def kill_along_the_way(
    cluster: Cluster, writers: list[Writer], running: list[Future[None]], rng: random.Random
) -> dict[str, int]:
    """SIGKILL app and worker in turn at evenly spread points of the run; restart each."""
    plan = ["app", "worker"] * KILLS_EACH
    done: dict[str, int] = {"app": 0, "worker": 0}
    for n, target in enumerate(plan, 1):
        at = RECORD_WRITES * n / (len(plan) + 1) + rng.uniform(-200, 200)
        wait_until(reached(at, writers, running), 120, f"the writers to reach {at:.0f} writes")
        if stopped(running):
            break  # the caller raises the writer's error, or finds too few kills
        if target == "app":
            cluster.app.process.kill()
            cluster.app = cluster.d.start_app(cluster.port)
        else:
            cluster.worker.kill()
            cluster.worker = cluster.d.start_worker()
        done[target] += 1
    return done


def reached(at: float, writers: list[Writer], running: list[Future[None]]) -> Callable[[], bool]:
    """A condition: the writers have sent ``at`` record writes, or stopped."""
    return lambda: sum(w.done for w in writers) >= at or stopped(running)


def stopped(running: list[Future[None]]) -> bool:
    """Whether a writer failed, or all have finished."""
    return all(f.done() for f in running) or any(f.exception(0) for f in running if f.done())


def run_writer(cluster: Cluster, writer: Writer) -> None:
    """Write at random until this writer's share is sent; waits out app restarts."""
    keys = writer.keys()
    auth = {"Authorization": f"Bearer {cluster.d.key}"}
    with httpx.Client(headers=auth, timeout=60) as client:
        while writer.done < RECORD_WRITES / WRITERS and not cluster.stop.is_set():
            roll = writer.rng.random()
            if roll < 0.04:
                batch = writer.rng.sample(keys[: len(keys) // 2], writer.rng.randint(*BULK))
                sent = [writer.new_write(k) for k in batch]
            else:
                sent = [writer.new_write(writer.rng.choice(keys), delete=roll > 0.8)]
            writer.done += len(sent)
            if not send(client, cluster, sent):
                wait_until(cluster.app_back, 90, "the app to be back")


def send(client: httpx.Client, cluster: Cluster, writes: list[Write]) -> bool:
    """Send one request for ``writes``; mark them acked, or ambiguous if it was cut off.

    Returns False when the app could not be reached. A timeout is not a kill: it fails.
    """
    base = f"{cluster.app.url}/api/v1/providers/{cluster.d.provider}"
    try:
        response = request(client, base, writes)
    except httpx.TimeoutException:
        raise
    except httpx.TransportError:
        for write in writes:
            write.outcome = "ambiguous"
        return False
    expected = {"PUT": (200, 201), "DELETE": (204, 404), "POST": (200,)}[response.request.method]
    assert response.status_code in expected, (response.request.url, response.text[:500], SEED)
    for write in writes:
        write.outcome = "acked"  # a 404 to a delete says the activity is absent: as good
    return True


def request(client: httpx.Client, base: str, writes: list[Write]) -> httpx.Response:
    if len(writes) > 1:
        lines = b"".join(json.dumps(w.record).encode() + b"\n" for w in writes)
        return client.post(f"{base}/imports", params={"format": "jsonl"}, content=lines)
    (write,) = writes
    if write.record is None:
        return client.delete(f"{base}/activities/{write.key}")
    return client.put(f"{base}/activities/{write.key}", json=write.record)


def healthy(app: App) -> bool:
    try:
        return httpx.get(f"{app.url}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def public_total(app: App) -> int:
    response = httpx.get(f"{app.url}/api/v1/activities", params={"per_page": 1}, timeout=30)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def summary(writers: list[Writer], indexed: int) -> str:
    outcomes = Counter(w.outcome for wr in writers for h in wr.histories.values() for w in h)
    return (
        f"{sum(outcomes.values())} record writes: {outcomes['acked']} acknowledged, "
        f"{outcomes['ambiguous']} cut off by a kill; {indexed} activities indexed"
    )


# -- the client's view against the catalog -----------------------------------------------------


def allowed_states(history: list[Write]) -> dict[int | None, Write | None]:
    """The writes whose state an activity may end in (None: absent), by write number.

    Every acknowledged write committed, so the last one holds unless a later write did; a
    write cut off by a kill may have committed or not.
    """
    acked = [i for i, w in enumerate(history) if w.outcome == "acked"]
    start = acked[-1] if acked else 0
    allowed: dict[int | None, Write | None] = {}
    if not acked:
        allowed[None] = None  # never written for sure: it may not exist
    for write in history[start:]:
        if write.outcome == "acked" or write.outcome == "ambiguous":
            allowed[write.number if write.record else None] = write
    return allowed


def check_catalog_against_clients(d: Deployment, writers: list[Writer]) -> None:
    with session_scope(d.db) as session:
        rows = list_provider_activities(session, provider_id=d.provider, today=date.today())
    catalog = {row.activity.provider_activity_id: row.activity for row in rows}
    histories = {k: h for w in writers for k, h in w.histories.items()}
    assert catalog.keys() <= histories.keys(), "the catalog holds activities nobody wrote"
    assert all(w.outcome != "pending" for h in histories.values() for w in h)
    wrong = [problem for key, history in histories.items()
             if (problem := state_problem(key, catalog.get(key), history))]  # fmt: skip
    assert wrong == [], f"seed {SEED}: {len(wrong)} activities not as written, e.g. {wrong[:5]}"


def state_problem(key: str, stored: ActivityOut | None, history: list[Write]) -> str | None:
    """Why ``stored`` is not a state the client's writes allow, or None when it is."""
    allowed = allowed_states(history)
    number = None
    if stored is not None:
        found = TITLE_WRITE.search(stored.title)
        number = int(found.group(1)) if found else -1
    if number not in allowed:
        return f"{key} is in the state of write {number}, not of one of {sorted(allowed, key=str)}"
    write = allowed[number]
    if stored is None or write is None or write.record is None:
        return None
    fields = set(ActivityIn.model_fields)
    if stored.model_dump(include=fields) != parse_activity(write.record).model_dump():
        return f"{key} holds write {number}'s title but not all of its content"
    return None
