"""Provider write -> searchable: how long a PUT takes to show in search, under steady writes.

    python bench/freshness.py --data-dir var/bench/run-100k [--rate 20] [--seconds 30]
        [--update-share 0.3] [--timeout 10] [--json result.json]

Works on a copy of the data directory (a loaded and indexed catalog, as bench/run.py leaves
it), so the catalog other benchmarks measure is not changed. Adds a provider and its key with
the CLI, serves the copy with the default single process (`moc-catalog serve`: the embedded
engine, the sync worker in the app), then PUTs activities through the provider API at --rate
writes a second for --seconds: creates, and (--update-share of them) updates of an activity
already seen in search that give it a new title. Every title carries a word of its own. For
each write it asks `GET /api/v1/activities?q=<that word>` until the activity is among the
hits, and takes the time from sending the PUT to that answer. Prints p50/p95/max, how many
never appeared within --timeout seconds, and the PUT latency.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from percentiles import latency_ms

from catalog.demo import demo_activities

CLI = str(Path(sys.executable).with_name("moc-catalog"))
PROVIDER = "bench-freshness"
WEEK = timedelta(days=7)
SLOW_POLL_S = 0.25
# What a copy leaves out: other benchmarks' results and their Datasette copy.
NOT_COPIED = shutil.ignore_patterns("results", "datasette", "*.log")


@dataclass(eq=False)  # identity: Writes.resolve removes this very write
class Write:
    """One PUT and when its title became searchable."""

    provider_activity_id: str
    word: str
    kind: str  # "create" or "update"
    number: int  # starts the title: falls with every write, so sort=title lists newest first
    sent: float = 0.0
    acked: float | None = None
    activity_id: str | None = None
    seen: float | None = None
    error: str | None = None
    last_poll: float = 0.0  # when it was last searched for by its word


class Writes:
    """The writes so far, shared by the writer threads and the poller."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.all: list[Write] = []
        self.pending: list[Write] = []
        self.searchable: list[str] = []  # activities whose last write was seen: may be updated

    def add(self, write: Write) -> None:
        with self.lock:
            self.all.append(write)

    def acknowledged(self, write: Write) -> None:
        with self.lock:
            self.pending.append(write)

    def resolve(self, write: Write) -> None:
        with self.lock:
            self.pending.remove(write)
            if write.seen is not None:
                self.searchable.append(write.provider_activity_id)

    def take_searchable(self, rng: random.Random) -> str | None:
        with self.lock:
            if not self.searchable:
                return None
            return self.searchable.pop(rng.randrange(len(self.searchable)))


def templates(count: int) -> list[dict[str, Any]]:
    """Activities as providers send them (the demo generator's): listed, with MOC and not
    ending soon, so that every write belongs in search (the PUT's answer confirms it).
    Written without their PARS activity ID, which the catalog's own demo activities hold."""
    today = date.today()
    current = [
        {k: v for k, v in record.items() if k != "accme_activity_id"}
        for _provider, record in demo_activities(2 * count + 100, seed=17, today=today)
        if record.get("listed", True)
        and record.get("moc")
        and date.fromisoformat(record["end_date"]) > today + WEEK
    ]
    if not current:
        raise SystemExit("the demo generator gave no current activity to write")
    return current


def new_word(rng: random.Random) -> str:
    """A made-up word of ten letters: no catalog title holds it, nor one within two typos."""
    return "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(8))


# -- the server ------------------------------------------------------------------------------


def copy_catalog(source: Path, scratch: Path) -> Path:
    if not (source / "catalog.db").exists():
        raise SystemExit(f"{source} holds no catalog.db: run bench/run.py or moc-catalog demo")
    target = scratch / "data"
    started = time.perf_counter()
    shutil.copytree(source, target, ignore=NOT_COPIED)
    print(f"copied {source} in {time.perf_counter() - started:.1f}s", flush=True)
    return target


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([CLI, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"moc-catalog {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        server = subprocess.Popen(
            [CLI, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    for _ in range(600):
        if server.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    server.kill()
    raise SystemExit(f"the server did not become ready; see {log}")


# -- writing and watching --------------------------------------------------------------------


def put(client: httpx.Client, write: Write, writes: Writes, template: dict[str, Any]) -> None:
    path = f"/api/v1/providers/{PROVIDER}/activities/{write.provider_activity_id}"
    title = f"{write.number:06d} Freshness Check {write.word.title()}"
    body = template | {"provider_activity_id": write.provider_activity_id, "title": title}
    write.sent = time.perf_counter()
    try:
        response = client.put(path, json=body)
    except httpx.HTTPError as exc:
        write.error = repr(exc)
        return
    if response.status_code not in (200, 201):
        write.error = f"{response.status_code}: {response.text[:200]}"
        return
    write.acked = time.perf_counter()
    stored = response.json()
    if not stored["visibility"]["public"]:  # would never be searchable: a bench error
        write.error = f"not public: {stored['visibility']['reasons']}"
        return
    write.activity_id = stored["id"]
    writes.acknowledged(write)


def write_steadily(
    base: str, key: str, args: argparse.Namespace, writes: Writes, bodies: list[dict[str, Any]]
) -> None:
    """PUT at --rate a second for --seconds, each on time (a pool, so a slow PUT delays none)."""
    rng = random.Random(17)
    headers = {"Authorization": f"Bearer {key}"}
    count = round(args.rate * args.seconds)
    limits = httpx.Limits(max_connections=16)
    with (
        httpx.Client(base_url=base, headers=headers, timeout=30, limits=limits) as client,
        ThreadPoolExecutor(max_workers=16) as pool,
    ):
        started = time.perf_counter()
        for n in range(count):
            time.sleep(max(0.0, started + n / args.rate - time.perf_counter()))
            updated = writes.take_searchable(rng) if rng.random() < args.update_share else None
            kind = "update" if updated else "create"
            write = Write(updated or f"FRESH-{n:06d}", new_word(rng), kind, 999_999 - n)
            writes.add(write)
            pool.submit(put, client, write, writes, bodies[n % len(bodies)])


def watch(
    client: httpx.Client, writes: Writes, args: argparse.Namespace, stop: threading.Event
) -> int:
    """Look for every acknowledged write until it is searchable or --timeout passed; return
    the searches made.

    One search per write every --poll-ms would load the server with hundreds of searches a
    second. Instead one probe a cycle lists the provider's activities newest title first (a
    title starts with a number that falls with every write), which shows every pending write
    the index holds; each one found is then confirmed by searching its own word. A write
    pending for over a second (which may have left the probe's page) is also searched for by
    its word, every SLOW_POLL_S.
    """
    probe = {"provider": PROVIDER, "sort": "title", "per_page": "100", "facets": "registration"}
    searches = 0
    while not stop.is_set() or writes.pending:
        started = time.perf_counter()
        with writes.lock:
            waiting = list(writes.pending)
        if waiting:
            titles = {h["id"]: h["title"] for h in search(client, probe)}
            searches += 1
            now = time.perf_counter()
            for write in waiting:
                probed = write.word.title() in titles.get(write.activity_id or "", "")
                if probed or (now - write.sent > 1 and now - write.last_poll > SLOW_POLL_S):
                    write.last_poll = now
                    searches += 1
                    if write.activity_id in {h["id"] for h in search(client, {"q": write.word})}:
                        write.seen = now
                if write.seen is not None or now - write.sent > args.timeout:
                    writes.resolve(write)
        time.sleep(max(0.0, started + args.poll_ms / 1000 - time.perf_counter()))
    return searches


def search(client: httpx.Client, params: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/activities", params={"facets": "registration", **params})
    response.raise_for_status()
    hits: list[dict[str, Any]] = response.json()["hits"]
    return hits


def measure(base: str, key: str, args: argparse.Namespace) -> dict[str, Any]:
    writes = Writes()
    stop = threading.Event()
    polls: list[int] = []
    bodies = templates(round(args.rate * args.seconds))
    with httpx.Client(base_url=base, timeout=30) as client:
        watcher = threading.Thread(target=lambda: polls.append(watch(client, writes, args, stop)))
        watcher.start()
        write_steadily(base, key, args, writes, bodies)
        stop.set()
        watcher.join()
    return summarise(writes.all, polls[0] if polls else 0)


def summarise(writes: list[Write], polls: int) -> dict[str, Any]:
    seen = [(w.seen - w.sent) * 1000 for w in writes if w.seen is not None]
    acks = [(w.acked - w.sent) * 1000 for w in writes if w.acked is not None]
    failed = [w for w in writes if w.error]
    return {
        "writes": len(writes),
        "creates": sum(w.kind == "create" for w in writes),
        "updates": sum(w.kind == "update" for w in writes),
        # The rate the PUTs were sent at, first to last.
        "writes_per_s": round((len(writes) - 1) / (writes[-1].sent - writes[0].sent), 1),
        "failed_puts": len(failed),
        "first_failure": failed[0].error if failed else None,
        "never_appeared": sum(w.acked is not None and w.seen is None for w in writes),
        "searchable": latency_ms(seen) if seen else None,
        "put": latency_ms(acks) if acks else None,
        "searches": polls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="a loaded, indexed catalog")
    parser.add_argument("--rate", type=float, default=20, help="writes a second")
    parser.add_argument("--seconds", type=float, default=30, help="how long to write")
    parser.add_argument("--update-share", type=float, default=0.3, help="updates among writes")
    parser.add_argument("--timeout", type=float, default=10, help="seconds until 'never'")
    parser.add_argument("--poll-ms", type=float, default=20, help="between two probes")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    with tempfile.TemporaryDirectory(prefix="freshness-", dir=data_dir.parent) as scratch:
        copy = copy_catalog(data_dir, Path(scratch))
        env = {**os.environ, "MOC_DATA_DIR": str(copy), "MOC_LOG_LEVEL": "WARNING",
               "MOC_RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
        cli(env, "providers", "add", PROVIDER, "--name", "Freshness Bench")
        key = cli(env, "providers", "key", PROVIDER)
        port = free_port()
        server = serve(env, port, Path(scratch) / "serve.log")
        try:
            result = measure(f"http://127.0.0.1:{port}", key, args)
        finally:
            server.terminate()
            server.wait(timeout=60)
    result |= {"rate": args.rate, "seconds": args.seconds, "timeout_s": args.timeout}
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def report(result: dict[str, Any]) -> None:
    seen, ack = result["searchable"] or {}, result["put"] or {}
    print(
        f"{result['writes']} writes ({result['creates']} creates, {result['updates']} updates) "
        f"at {result['writes_per_s']}/s; {result['failed_puts']} PUTs failed"
        + (f" (first: {result['first_failure']})" if result["first_failure"] else "")
    )
    print(
        f"write -> searchable: p50 {seen.get('p50_ms')} ms, p95 {seen.get('p95_ms')} ms, "
        f"max {seen.get('max_ms')} ms; never appeared within {result['timeout_s']:g}s: "
        f"{result['never_appeared']}"
    )
    print(f"PUT answered: p50 {ack.get('p50_ms')} ms, p95 {ack.get('p95_ms')} ms; "
          f"{result['searches']} searches to look")  # fmt: skip


if __name__ == "__main__":
    main()
