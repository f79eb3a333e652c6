"""Sixty seconds of 200 concurrent connections on loopback, answered without a single error.

The real app (`moc-catalog serve`, one uvicorn process) serves a SQLite demo catalog of a few
thousand activities indexed with tantivy. wrk drives it with a mix of what people and
partners ask for (searches with filters, the search page, activity detail as JSON and HTML,
facets, health) through tests/reliability/load.lua, which counts every answer that is not
2xx/3xx. Rate limiting is off: wrk is one client by design here.

Needs `wrk` (Debian's package; .ci/run installs it). The figures are printed to the log.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reliability.live import Served, run_cli, serve, show, unavailable
from tests.reliability.processes import environment

ACTIVITIES = 3000
SECONDS = 60
CONNECTIONS = 200
THREADS = 2
# wrk counts an answer slower than this as a timeout error. 200 connections queue behind
# one process (~2 s at p50 here, ~5 s at worst); 30 s, a usual proxy timeout, leaves room for
# a slower CI machine, while a stalled server still shows up as timeouts.
TIMEOUT_S = 30
# One process serves this mix at about 100-120 requests/s on a 2-core machine that also runs
# wrk (the search page, ~15 ms of CPU, dominates). The floor leaves room for a busier machine
# yet fails a server that answers only now and then; stalls show up as timeouts anyway.
MIN_REQUESTS = 25 * SECONDS
LUA = Path(__file__).with_name("load.lua")
SEARCHES = [
    "/api/v1/activities?q=cardiology&board=ABIM&format=online",
    "/api/v1/activities?q=pediatric&fee=free&registration=open",
    "/api/v1/activities?q=surgery&board=ABS&board=ABA&activity_type=course",
    "/api/v1/activities?q=review&format=in_person&sort=date",
    "/api/v1/activities?board=ABIM&credit_type=ABIM:MK&per_page=50",
]
PAGES = [
    "/",
    "/?q=cardiology&board=ABIM",
    "/?q=pediatric&fee=free&format=online&page=2",
]
DETAILS = 8  # activities whose detail is asked for, as JSON and as a page
RESULT = re.compile(r"^RESULT (.*)$", re.MULTILINE)


@pytest.fixture
def wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        unavailable("the load test needs wrk (Debian: apt-get install wrk)")
    return found


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Served]:
    env = environment(
        {
            "MOC_DATA_DIR": str(tmp_path / "data"),
            "MOC_LOG_LEVEL": "WARNING",  # one access log line per request would be the bottleneck
            "MOC_RATE_LIMIT_PER_MINUTE": "0",  # wrk is one client asking as fast as it can
        }
    )
    run_cli(["demo", "--activities", str(ACTIVITIES)], env)  # migrates, loads, indexes
    with serve(env, tmp_path / "server.log") as served:
        yield served


def mixed_paths(url: str) -> list[str]:
    """The request mix, interleaved: searches, detail JSON and HTML, search pages, facets."""
    with httpx.Client(base_url=url, timeout=10) as client:
        hits = client.get("/api/v1/activities", params={"per_page": DETAILS}).json()["hits"]
    ids = [hit["id"] for hit in hits]
    assert len(ids) == DETAILS, "the demo catalog has too few public activities"
    paths = []
    for n, activity in enumerate(ids):
        paths += [
            SEARCHES[n % len(SEARCHES)],
            f"/api/v1/activities/{activity}",
            PAGES[n % len(PAGES)],
            f"/activities/{activity}",
        ]
    return [*paths, "/api/v1/facets", "/healthz"]


def assert_all_answer(url: str, paths: list[str]) -> None:
    """Each path answers 200 on its own, so that a wrong path is not mistaken for load."""
    with httpx.Client(base_url=url, timeout=10) as client:
        failing = [f"{p}: {s}" for p in paths if (s := client.get(p).status_code) != 200]
    assert not failing, f"paths that fail without load: {failing}"


def run_wrk(wrk: str, url: str, paths: list[str]) -> dict[str, str]:
    """Run wrk with load.lua; return the fields of its RESULT line."""
    command = [
        wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", f"{TIMEOUT_S}s",
        "-s", str(LUA), url,
    ]  # fmt: skip
    done = subprocess.run(
        command,
        env={"PATH": "/usr/bin:/bin", "PATHS": "|".join(paths)},
        capture_output=True,
        text=True,
        timeout=SECONDS + 60,
    )
    found = RESULT.search(done.stdout)
    output = f"{done.stdout}{done.stderr}"
    assert done.returncode == 0, f"wrk exited {done.returncode}:\n{output}"
    assert found, f"wrk printed no RESULT line:\n{output}"
    return dict(field.split("=", 1) for field in found.group(1).split())


def test_200_connections_for_a_minute_without_errors(
    wrk: str, server: Served, pytestconfig: pytest.Config
) -> None:
    paths = mixed_paths(server.url)
    assert_all_answer(server.url, paths)

    result = run_wrk(wrk, server.url, paths)

    show(
        pytestconfig,
        f"\nload: {result['requests']} requests in {result['seconds']}s at {CONNECTIONS} "
        f"connections: {result['rps']} req/s, p50 {result['p50_ms']} ms, p99 "
        f"{result['p99_ms']} ms, max {result['max_ms']} ms; socket errors connect "
        f"{result['connect']} read {result['read']} write {result['write']} timeout "
        f"{result['timeout']}; not 2xx/3xx {result['bad']} ({result['bad_statuses']})",
    )
    assert server.process.poll() is None, f"the app exited:\n{server.log_tail()}"
    errors = {name: int(result[name]) for name in ("connect", "read", "write", "timeout")}
    assert errors == dict.fromkeys(errors, 0), f"socket errors: {errors}\n{server.log_tail()}"
    assert int(result["bad"]) == 0, f"answers not 2xx/3xx: {result['bad_statuses']}"
    assert int(result["status"]) == 0
    assert int(result["requests"]) >= MIN_REQUESTS
