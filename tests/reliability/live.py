"""The real app served as a subprocess on a free loopback port, for the reliability tests.

`serve()` runs `moc-catalog serve [--workers N]` (one uvicorn process, as deployed by default)
or, with another ``http`` parser, `uvicorn api.app:app_from_env --factory --workers N`, with
exactly the MOC_* environment given, waits for /healthz and stops the process (and any workers,
and the sync process `serve --workers` starts) on exit.
Its output goes to a log file whose tail is quoted whenever something goes wrong.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn

import httpx
import pytest

from tests.conftest import IN_CI
from tests.reliability.processes import REPO, free_port

HOST = "127.0.0.1"
START_ATTEMPTS = 3  # a picked port can be taken by someone else before the server binds it
STOP_GRACE_S = 15.0


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI=true a missing tool or server fails the test instead."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class Served:
    """A running server: its process, base URL and log file."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log, lines)


def show(config: pytest.Config, line: str) -> None:
    """Write a line to the terminal even when the test passes, so the CI log has the figures."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():  # what capsys.disabled() does
        reporter.write_line(line)


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, for assertion messages."""
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_cli(args: list[str], env: Mapping[str, str], timeout_s: float = 300.0) -> str:
    """Run `moc-catalog ARGS`; fail with its output unless it exits 0. Returns stdout."""
    command = [sys.executable, "-m", "api.cli", *args]
    done = subprocess.run(
        command, env=dict(env), cwd=REPO, capture_output=True, text=True, timeout=timeout_s
    )
    if done.returncode != 0:
        raise AssertionError(
            f"moc-catalog {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def server_command(port: int, workers: int, http: str) -> list[str]:
    if http == "auto":
        serve = [sys.executable, "-m", "api.cli", "serve", "--host", HOST, "--port", str(port)]
        return serve + (["--workers", str(workers)] if workers > 1 else [])
    return [
        sys.executable, "-m", "uvicorn", "api.app:app_from_env", "--factory",
        "--host", HOST, "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--http", http,
    ]  # fmt: skip


@contextmanager
def serve(
    env: Mapping[str, str],
    log: Path,
    *,
    workers: int = 1,
    http: Literal["auto", "h11"] = "auto",
    ready_within_s: float = 60.0,
) -> Iterator[Served]:
    """Serve the app with ``env``; yield once /healthz answers 200; always stop it.

    ``http="h11"`` runs uvicorn with its pure-Python HTTP parser, as where httptools is not
    installed: it passes any token as the request method, where httptools refuses unknown ones.
    """
    served = _start(env, log, workers, http, ready_within_s)
    try:
        yield served
    finally:
        stop(served.process)


def _start(
    env: Mapping[str, str], log: Path, workers: int, http: str, ready_within_s: float
) -> Served:
    for _ in range(START_ATTEMPTS):
        port = free_port()
        with log.open("ab") as out:
            # A session of its own, so that stop() can reach uvicorn's worker processes too.
            process = subprocess.Popen(
                server_command(port, workers, http),
                env=dict(env),
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        served = Served(process, f"http://{HOST}:{port}", log)
        if _wait_healthy(served, ready_within_s):
            return served
        stop(process)
        if "address already in use" not in served.log_tail().lower():
            break
    raise AssertionError(f"the server did not become healthy:\n{log_tail(log)}")


def _wait_healthy(served: Served, within_s: float) -> bool:
    """Poll /healthz until it answers 200 (True) or the process exits or time runs out."""
    deadline = time.monotonic() + within_s
    with httpx.Client(base_url=served.url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if served.process.poll() is not None:
                return False
            try:
                if client.get("/healthz").status_code == 200:
                    return True
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
    return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL the whole process group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group is ours: start_new_session=True
    except ProcessLookupError:
        pass  # the group is gone already
    process.wait(timeout=STOP_GRACE_S)
