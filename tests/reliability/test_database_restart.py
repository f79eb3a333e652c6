"""The served app rides out a PostgreSQL restart and outage, and recovers by itself.

The real app runs as a subprocess on a throw-away PostgreSQL database with a small demo
catalog. A client thread keeps asking for database-backed answers (activity detail JSON and
HTML, provider JSON, /readyz) while the PostgreSQL cluster is restarted and then stopped for a
moment. Every answer must be the normal 200 or a clear 503 within a bound (never a 500, never
a hang), and once PostgreSQL is back the same requests answer 200 from the same process.

This restarts the machine's PostgreSQL cluster, so it needs root and pg_ctlcluster; it always
starts the cluster again and waits for it before returning, as other tests use it afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL, postgres_database
from tests.reliability.live import Served, run_cli, serve, show, unavailable
from tests.reliability.processes import environment

pytestmark = pytest.mark.postgres

ACTIVITIES = 300
REQUEST_BOUND_S = 5.0  # no answer may take longer, outage or not
OUTAGE_BOUND_S = 20.0  # the 503s must show within this of the cluster stopping
RECOVERY_BOUND_S = 15.0  # and the 200s within this of it accepting connections again
PG_READY_BOUND_S = 60.0
PAUSE_S = 0.02  # between rounds of requests, so the client does not starve the server
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Answer:
    """One request the client made: what came back, and when it was sent."""

    path: str
    sent: float  # time.monotonic()
    seconds: float
    status: int | None = None  # None: no HTTP answer at all (see error)
    content_type: str = ""
    retry_after: str | None = None
    body: str = ""
    error: str | None = None

    def __str__(self) -> str:
        got = self.error or f"{self.status} {self.content_type} {self.body[:200]!r}"
        return f"GET {self.path} after {self.seconds:.2f}s: {got}"


@dataclass
class Client:
    """A thread asking for ``paths`` in turn until stopped, keeping every answer."""

    url: str
    paths: list[str]
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    halt: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="restart-client", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.halt.set()
        if self.thread:
            self.thread.join(timeout=REQUEST_BOUND_S * 2)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=REQUEST_BOUND_S) as client:
            while not self.halt.is_set():
                for path in self.paths:
                    answer = ask(client, path)
                    with self.lock:
                        self.answers.append(answer)
                self.halt.wait(PAUSE_S)

    def since(self, moment: float) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if a.sent >= moment]

    def wait_until(self, every_path: Callable[[Answer], bool], within_s: float, what: str) -> None:
        """Wait until the latest answer (sent from now on) to every path satisfies the check.

        A wrong answer (see problems_with) ends the wait at once, so an outage is not
        prolonged for a test that has already failed.
        """
        start = time.monotonic()
        while time.monotonic() < start + within_s:
            answers = self.since(start)
            bad = [f"{problem}: {a}" for a in answers for problem in problems_with(a)]
            assert not bad, "\n".join(bad[:20])
            latest = {a.path: a for a in answers}
            if len(latest) == len(self.paths) and all(map(every_path, latest.values())):
                return
            time.sleep(0.05)
        recent = "\n".join(map(str, self.since(start)[-len(self.paths) :]))
        raise AssertionError(f"no {what} within {within_s}s; latest answers:\n{recent}")


def ask(client: httpx.Client, path: str) -> Answer:
    sent = time.monotonic()
    try:
        response = client.get(path)
    except httpx.HTTPError as exc:
        return Answer(path, sent, time.monotonic() - sent, error=f"{type(exc).__name__}: {exc}")
    return Answer(
        path,
        sent,
        time.monotonic() - sent,
        status=response.status_code,
        content_type=response.headers.get("content-type", ""),
        retry_after=response.headers.get("retry-after"),
        body=response.text,
    )


def is_ok(answer: Answer) -> bool:
    return answer.status == 200


def is_unavailable(answer: Answer) -> bool:
    return answer.status == 503


def problems_with(answer: Answer) -> list[str]:
    """What is wrong with an answer: anything but a 200 or a clear, well-formed 503."""
    if answer.error:
        return [f"no HTTP answer within {REQUEST_BOUND_S}s"]
    if answer.status not in (200, 503):
        return ["neither 200 nor 503"]
    if answer.status == 200:
        return []
    if answer.path.startswith("/activities/"):  # a page for people: a readable HTML page
        readable = answer.content_type.startswith("text/html") and "unavailable" in answer.body
        return [] if readable and answer.retry_after else ["not a readable 503 page"]
    if answer.content_type != PROBLEM:
        return ["a 503 that is not problem+json"]
    body = json.loads(answer.body)
    if "catalog" not in body.get("unavailable", []) or "catalog" not in body["detail"]:
        return ["a 503 that does not name the catalog"]
    if answer.path != "/readyz" and not (answer.retry_after or "").isdigit():
        return ["a 503 without Retry-After"]
    return []


# --- the PostgreSQL cluster -------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """The machine's PostgreSQL cluster that serves PG_ADMIN_URL."""

    version: str
    host: str
    port: int

    def control(self, action: str) -> None:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", action]
        subprocess.run(command, check=True, capture_output=True, timeout=PG_READY_BOUND_S)

    def ready(self) -> bool:
        command = ["pg_isready", "-q", "-h", self.host, "-p", str(self.port)]
        return subprocess.run(command, check=False, timeout=10).returncode == 0

    def ensure_running(self) -> None:
        """Start the cluster if it does not answer, and wait until it accepts connections."""
        if not self.ready():
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", "start"],
                check=False,
                capture_output=True,
                timeout=PG_READY_BOUND_S,
            )
        deadline = time.monotonic() + PG_READY_BOUND_S
        while not self.ready():
            assert time.monotonic() < deadline, "PostgreSQL did not come back after the test"
            time.sleep(0.2)


@contextmanager
def restored(cluster: Cluster) -> Iterator[None]:
    """Whatever happens inside, leave the cluster running and accepting connections."""
    try:
        yield
    finally:
        cluster.ensure_running()


@pytest.fixture
def cluster() -> Cluster:
    """The local cluster, when this process may restart it."""
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        unavailable("restarting PostgreSQL needs pg_ctlcluster (Debian's postgresql-common)")
    if os.geteuid() != 0:
        unavailable("restarting PostgreSQL with pg_ctlcluster needs root")
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
    url = make_url(PG_ADMIN_URL)
    if not versions or url.host not in ("127.0.0.1", "localhost"):
        unavailable(f"no local PostgreSQL cluster serves {url.host}")
    return Cluster(versions[0], url.host or "127.0.0.1", url.port or 5432)


@pytest.fixture
def database_url() -> Iterator[str]:
    yield from postgres_database()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Served]:
    env = environment(
        {
            "MOC_DATABASE_URL": database_url,
            "MOC_DATA_DIR": str(tmp_path / "data"),
            "MOC_LOG_LEVEL": "WARNING",
            "MOC_RATE_LIMIT_PER_MINUTE": "0",  # one client asking non-stop, by design
        }
    )
    run_cli(["demo", "--activities", str(ACTIVITIES)], env)  # migrates, loads, indexes
    with serve(env, tmp_path / "server.log") as served:
        yield served


def database_backed_paths(url: str) -> list[str]:
    """Paths whose answers read the catalog database (search alone would not)."""
    hits = httpx.get(f"{url}/api/v1/activities?per_page=1", timeout=10).json()["hits"]
    activity, provider = hits[0]["id"], hits[0]["provider"]["id"]
    return [
        f"/api/v1/activities/{activity}",
        f"/api/v1/providers/{provider}",
        "/readyz",
        f"/activities/{activity}",
    ]


def test_restart_and_outage_answer_503_then_recover(
    cluster: Cluster, server: Served, pytestconfig: pytest.Config
) -> None:
    client = Client(server.url, database_backed_paths(server.url))
    client.start()
    try:
        client.wait_until(is_ok, RECOVERY_BOUND_S, "200 from every path before the restart")
        with restored(cluster):
            restart_at = time.monotonic()
            cluster.control("restart")
            cluster.ensure_running()
            client.wait_until(is_ok, RECOVERY_BOUND_S, "200 from every path after the restart")
            # A restart can be quicker than the client: stop the cluster for a moment too,
            # so that the outage and its answers are certain.
            stop_at = time.monotonic()
            cluster.control("stop")
            client.wait_until(is_unavailable, OUTAGE_BOUND_S, "503 from every path while down")
            cluster.control("start")
            cluster.ensure_running()
        client.wait_until(is_ok, RECOVERY_BOUND_S, "200 from every path once PostgreSQL is back")
    finally:
        client.stop()
    assert server.process.poll() is None, f"the app exited:\n{server.log_tail()}"

    answers = client.since(0.0)
    bad = [f"{problem}: {a}" for a in answers for problem in problems_with(a)]
    assert not bad, "\n".join(bad[:20])
    restart = Counter(a.status for a in answers if restart_at <= a.sent < stop_at)
    outage = Counter(a.status for a in answers if a.sent >= stop_at)
    assert outage[503] > 0
    slowest = max(a.seconds for a in answers)
    show(
        pytestconfig,
        f"\ndatabase restart: {len(answers)} requests, slowest {slowest:.2f}s; during the "
        f"restart {dict(restart)}, during and after the stop {dict(outage)}; app pid "
        f"{server.process.pid} throughout",
    )
