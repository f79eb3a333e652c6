"""HTTP benchmark of GET /api/v1/activities beside the app's bare JSON endpoint (the floor).

    python bench/api.py --data-dir var/bench [--activities 100000] [--connections 32] [--seconds 30]
        [--workers 1] [--json result.json]

Needs `wrk` (Debian package wrk). Loads and indexes a demo catalog when the data directory
is empty, serves it with `moc-catalog serve` (one uvicorn process; --workers N runs
`uvicorn api.app:app_from_env --factory --workers N` instead) on loopback, and drives
it with wrk: first typical searches (q + 2 filters + all facets, several variants in turn),
then GET /healthz. Prints p50/p95/p99 and requests/s for both, and the server's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

from catalog import migrate
from catalog.db import make_engine, session_scope, sqlite_url
from catalog.demo_load import load_demo
from catalog.repository import count_activities
from indexer.engines.tantivy import TantivyEngine
from indexer.rebuild import rebuild_index

SEARCHES = [
    "/api/v1/activities?q=cardiology&board=ABIM&format=online",
    "/api/v1/activities?q=pediatric&fee=free&registration=open",
    "/api/v1/activities?q=surgery&board=ABS&board=ABA&activity_type=course",
    "/api/v1/activities?q=sleep&format=in_person&date_from=2026-12-01",
    "/api/v1/activities?q=review&near=10001&radius_mi=100",
]
LUA = Path(__file__).with_name("wrk_report.lua")


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
    db.dispose()


def serve(data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    # Rate limiting off: one load generator on loopback is one client by design here.
    env = {**os.environ, "MOC_DATA_DIR": str(data_dir), "MOC_LOG_LEVEL": "WARNING",
           "MOC_RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    if workers > 1:
        # Several processes read one index; none of them writes it (nothing changes here).
        env["MOC_SYNC_IN_APP"] = "false"
        command = [sys.executable, "-m", "uvicorn", "api.app:app_from_env", "--factory",
                   "--port", str(port), "--workers", str(workers),
                   "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, env=env)
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the server did not become ready")


def peak_rss_mb(pid: int) -> int:
    """The high-water marks of a live process's resident memory and its children's, summed."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii").split()
    total_kb = 0
    for each in [pid, *map(int, children)]:
        status = Path(f"/proc/{each}/status").read_text(encoding="ascii")
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        total_kb += int(found.group(1)) if found else 0
    return round(total_kb / 1024)


def parse_result(line: str) -> dict[str, float]:
    return {key: float(value) for key, value in (pair.split("=") for pair in line.split())}


def run_wrk(port: int, paths: list[str], connections: int, seconds: int) -> str:
    env = {**os.environ, "PATHS": "|".join(paths)}
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(LUA), f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    found = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if not found:
        raise SystemExit(f"wrk printed no result:\n{output}")
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    prepare(args.data_dir, args.activities)
    server = serve(args.data_dir, args.port, args.workers)
    try:
        search = run_wrk(args.port, SEARCHES, args.connections, args.seconds)
        floor = run_wrk(args.port, ["/healthz"], args.connections, args.seconds)
        server_mb = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"search  /api/v1/activities: {search}")
    print(f"floor   /healthz:            {floor}")
    print(f"server peak RSS: {server_mb} MB")
    if args.json:
        result = {
            "connections": args.connections,
            "workers": args.workers,
            "seconds": args.seconds,
            "search": parse_result(search),
            "floor": parse_result(floor),
            "server_peak_rss_mb": server_mb,
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
