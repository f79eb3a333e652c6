"""HTTP benchmark of `moc-catalog serve --workers N`: typical searches beside /healthz.

    python bench/api.py --data-dir var/bench [--activities 100000] [--workers 1]
        [--requests 1000] [--warmup 50] [--connections 32] [--seconds 30]
        [--accept-encoding identity] [--json result.json]

Loads and indexes a demo catalog when the data directory is empty, serves it with
`moc-catalog serve --workers N` on a free loopback port (rate limiting off: one load
generator is one client by design), and measures, against that one server:

1. sequential: one request at a time over one keep-alive connection, a typical search of
   bench/rotation.py (every facet group), then GET /healthz, alternately (which goes first
   alternates too), so that any machine noise falls on both; p50/p95/p99 of each and the
   ratio search p50 / healthz p50. After --warmup searches, the timed ones are distinct.
2. wrk at --connections over the whole rotation (at least 1,000 distinct searches, read by
   bench/wrk_report.lua from a file), then over /healthz: req/s, p50/p95/p99, errors
   (connect, read, write, timeout and non-2xx answers).
3. the server's peak RSS: VmHWM of every process of the server (the uvicorn supervisor, its
   workers, with several workers the sync process) summed, and each one's; and their
   proportional set size (PSS) at the end, which counts pages they share once.
Needs `wrk` (Debian package wrk).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from percentiles import latency_ms
from rotation import rotation_paths, write_paths

from catalog import migrate
from catalog.db import make_engine, session_scope, sqlite_url
from catalog.demo_load import load_demo
from catalog.repository import count_activities
from indexer.engines.tantivy import TantivyEngine
from indexer.rebuild import rebuild_index
from indexer.vocabulary import FACET_GROUPS

LUA = Path(__file__).with_name("wrk_report.lua")
CLI = str(Path(sys.executable).with_name("moc-catalog"))
WRK_THREADS = 2


@dataclass
class Process:
    pid: int
    command: str
    peak_rss_mb: float
    pss_mb: float


def prepare(data_dir: Path, activities: int) -> None:
    db = make_engine(sqlite_url(data_dir))
    migrate.upgrade(db)
    with session_scope(db) as session:
        empty = count_activities(session) == 0
    if empty:
        load_demo(db, activities=activities, seed=7, today=date.today())
    engine = TantivyEngine(data_dir / "index")
    if engine.count() == 0:
        rebuild_index(db, engine, data_dir / "sync.lock")
    engine.close()
    db.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """`moc-catalog serve --workers N`, once /readyz answers. With several workers the others
    may still be starting: the sequential part uses one connection (one worker), and the
    untimed wrk run before the timed ones reaches them all."""
    env = {**os.environ, "MOC_DATA_DIR": str(data_dir), "MOC_LOG_LEVEL": "WARNING",
           "MOC_RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
    command = [CLI, "serve", "--port", str(port), "--workers", str(workers)]
    print("$", " ".join(command), flush=True)
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and server.poll() is None:
        if ready(port):
            return server
        time.sleep(0.5)
    server.kill()
    raise SystemExit("the server did not become ready")


def ready(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/readyz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# -- sequential ------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection (http.client: little client time in each sample)."""

    def __init__(self, port: int, accept_encoding: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Accept-Encoding": accept_encoding}

    def get(self, path: str) -> tuple[float, bytes]:
        """Milliseconds until the whole body arrived, and the body; anything but 200 stops."""
        started = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}: {body[:300]!r}")
        return elapsed, body


def sequential(port: int, requests: int, warmup: int, accept_encoding: str) -> dict[str, Any]:
    paths = rotation_paths()
    client = Client(port, accept_encoding)
    for path in paths[:warmup]:
        client.get(path)
        client.get("/healthz")
    searches, floors = [], []
    timed = [paths[(warmup + i) % len(paths)] for i in range(requests)]
    for i, path in enumerate(timed):
        if i % 2:
            floors.append(client.get("/healthz")[0])
        search_ms, body = client.get(path)
        searches.append(search_ms)
        if i % 2 == 0:
            floors.append(client.get("/healthz")[0])
        if accept_encoding == "identity":
            check_facets(path, body)
    client.conn.close()
    search, floor = latency_ms(searches), latency_ms(floors)
    return {
        "requests": requests,
        "distinct_searches": len(set(timed)),
        "accept_encoding": accept_encoding,
        "search": search,
        "healthz": floor,
        "ratio_p50": round(search["p50_ms"] / floor["p50_ms"], 2),
    }


def check_facets(path: str, body: bytes) -> None:
    """A typical search counts every facet group (the default): make sure it did."""
    facets = json.loads(body)["facets"]
    if len(facets) != len(FACET_GROUPS):
        raise SystemExit(f"{path} counted {len(facets)} of {len(FACET_GROUPS)} facet groups")


# -- wrk -------------------------------------------------------------------------------------


def parse_result(line: str) -> dict[str, float]:
    return {key: float(value) for key, value in (pair.split("=") for pair in line.split())}


def run_wrk(port: int, paths_file: Path, connections: int, seconds: int) -> dict[str, float]:
    env = {**os.environ, "PATHS_FILE": str(paths_file), "WRK_THREADS": str(WRK_THREADS)}
    command = [
        "wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(LUA), f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    found = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if not found:
        raise SystemExit(f"wrk printed no result:\n{output}")
    return parse_result(found.group(1))


# -- memory ----------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (the server's supervisor, workers, sync process)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text(encoding="ascii").split():
            found += process_tree(int(child))
    return found


def processes(pid: int) -> list[Process]:
    found = []
    for each in process_tree(pid):
        status = Path(f"/proc/{each}/status").read_text(encoding="ascii")
        hwm = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        rollup = Path(f"/proc/{each}/smaps_rollup").read_text(encoding="ascii")
        pss = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
        raw = Path(f"/proc/{each}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        found.append(
            Process(
                pid=each,
                command=" ".join(Path(word).name for word in raw.split()[:6])[:80],
                peak_rss_mb=round(int(hwm.group(1)) / 1024 if hwm else 0, 1),
                pss_mb=round(int(pss.group(1)) / 1024 if pss else 0, 1),
            )
        )
    return found


# -- main ------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, paths_file: Path) -> dict[str, Any]:
    port = free_port()
    server = serve(args.data_dir, port, args.workers)
    try:
        seq = sequential(port, args.requests, args.warmup, args.accept_encoding)
        print(
            f"sequential, {seq['requests']} searches ({seq['distinct_searches']} distinct): "
            f"search {fmt(seq['search'])}; /healthz {fmt(seq['healthz'])}; "
            f"ratio p50 {seq['ratio_p50']}",
            flush=True,
        )
        if args.warmup_seconds:
            run_wrk(port, paths_file, args.connections, args.warmup_seconds)
        search = run_wrk(port, paths_file, args.connections, args.seconds)
        print(f"wrk -c{args.connections} search rotation: {fmt_wrk(search)}", flush=True)
        floor = run_wrk(port, paths_file.with_name("healthz.txt"), args.connections, args.seconds)
        print(f"wrk -c{args.connections} /healthz:        {fmt_wrk(floor)}", flush=True)
        tree = processes(server.pid)
    finally:
        stop(server)
    for each in tree:
        print(
            f"  pid {each.pid}: peak RSS {each.peak_rss_mb} MB, PSS {each.pss_mb} MB, "
            f"{each.command}"
        )
    peak = round(sum(p.peak_rss_mb for p in tree))
    print(f"server peak RSS, {len(tree)} processes summed: {peak} MB", flush=True)
    return {
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "sequential": seq,
        "search": search,
        "floor": floor,
        "server_peak_rss_mb": peak,
        "server_pss_mb": round(sum(p.pss_mb for p in tree)),
        "server_processes": [asdict(p) for p in tree],
    }


def fmt(stats: dict[str, float]) -> str:
    return f"p50 {stats['p50_ms']} / p95 {stats['p95_ms']} / p99 {stats['p99_ms']} ms"


def fmt_wrk(result: dict[str, float]) -> str:
    return (
        f"{result['rps']:.1f} req/s, p50 {result['p50_ms']} / p99 {result['p99_ms']} ms, "
        f"{result['errors']:.0f} errors, {result['requests']:.0f} requests over "
        f"{result['paths']:.0f} paths"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1, help="`serve --workers N`")
    parser.add_argument("--requests", type=int, default=1000, help="sequential searches")
    parser.add_argument("--warmup", type=int, default=50, help="untimed sequential searches")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=30, help="each wrk run")
    parser.add_argument("--warmup-seconds", type=int, default=5, help="untimed wrk run first")
    parser.add_argument(
        "--accept-encoding",
        default="identity",
        help="of the sequential client; identity (default) as wrk sends none, or gzip",
    )
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    prepare(args.data_dir, args.activities)
    with tempfile.TemporaryDirectory(prefix="bench-api-") as scratch:
        paths_file = Path(scratch) / "searches.txt"
        write_paths(paths_file)
        paths_file.with_name("healthz.txt").write_text("/healthz\n", encoding="ascii")
        result = measure(args, paths_file)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
