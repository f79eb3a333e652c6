"""MOC_TRUSTED_PROXIES alone decides whose X-Forwarded-For / -Proto the app believes: for the
rate limiter, the client address in the access log and the provider cookies' Secure flag.

Against `moc-catalog serve` as a real process, with one server process and with --workers:
uvicorn's own proxy handling (which trusts 127.0.0.1 whatever the setting says) must not
apply. A load balancer "elsewhere" is played by a client bound to 127.0.0.2: another address
on the loopback network, which only the setting can make trusted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.live import Served, serve
from tests.reliability.processes import environment

BURST = 3
REQUESTS = 10  # more than BURST for each of two worker processes (buckets are per process)
BALANCER = "127.0.0.2"
RATE_LIMITED = "/api/v1/facets"
COOKIE_PAGE = "/provider/sign-in"  # sets the pre-sign-in CSRF cookie


def settings(tmp_path: Path, trusted: list[str]) -> dict[str, str]:
    return environment(
        {
            "MOC_DATA_DIR": str(tmp_path / "data"),
            "MOC_LOG_LEVEL": "INFO",  # the access log lines are checked
            "MOC_RATE_LIMIT_PER_MINUTE": "1",
            "MOC_RATE_LIMIT_BURST": str(BURST),
            "MOC_TRUSTED_PROXIES": json.dumps(trusted),
        }
    )


def client(served: Served, source: str) -> httpx.Client:
    """A client whose connections come from ``source`` (an address on the loopback network)."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=served.url, transport=transport, timeout=30)


def rotating_forwarded_for(http: httpx.Client) -> list[int]:
    """Status of REQUESTS rate-limited requests, each claiming another client address."""
    return [
        http.get(RATE_LIMITED, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
        for i in range(1, REQUESTS + 1)
    ]


def cookie_is_secure(http: httpx.Client) -> bool:
    response = http.get(COOKIE_PAGE, headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    [cookie] = response.headers.get_list("set-cookie")
    return "secure" in [part.strip().lower() for part in cookie.split(";")]


def access_clients(log: Path, path: str) -> set[str]:
    """The client address of every access log line for ``path``."""
    found: set[str] = set()
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            record: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("logger") == "moc.access" and record.get("path") == path:
            found.add(str(record.get("client")))
    return found


@pytest.mark.parametrize("workers", [1, 2])
def test_forwarding_headers_from_loopback_are_ignored_unless_trusted(
    tmp_path: Path, workers: int
) -> None:
    log = tmp_path / "server.log"
    with serve(settings(tmp_path, []), log, workers=workers) as served:
        with client(served, "127.0.0.1") as http:
            statuses = rotating_forwarded_for(http)
            secure = cookie_is_secure(http)
    assert statuses.count(429) >= REQUESTS - workers * BURST, statuses
    assert not secure, "X-Forwarded-Proto from an untrusted peer made the cookie Secure"
    assert access_clients(log, RATE_LIMITED) == {"127.0.0.1"}


@pytest.mark.parametrize("workers", [1, 2])
def test_forwarding_headers_from_a_trusted_balancer_are_believed(
    tmp_path: Path, workers: int
) -> None:
    log = tmp_path / "server.log"
    with serve(settings(tmp_path, [BALANCER]), log, workers=workers) as served:
        with client(served, BALANCER) as http:
            statuses = rotating_forwarded_for(http)
            secure = cookie_is_secure(http)
        with client(served, "127.0.0.1") as http:  # not the balancer: its headers are ignored
            secure_from_elsewhere = cookie_is_secure(http)
    assert statuses == [200] * REQUESTS  # each forwarded client has a bucket of its own
    assert secure, "the trusted balancer's X-Forwarded-Proto: https did not make it Secure"
    assert not secure_from_elsewhere
    clients = {f"198.51.100.{i}" for i in range(1, REQUESTS + 1)}
    assert access_clients(log, RATE_LIMITED) == clients
