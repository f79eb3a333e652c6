"""Nothing a client sends can add label values to /metrics: against a real uvicorn process.

Every label of the request histogram is bounded by the app, not the client: the method
(standard methods, else OTHER), the route template ("unmatched" for any unknown path) and the
status class. uvicorn's pure-Python parser (h11) passes any token as the method, so that is
the server run here; httptools refuses unknown methods itself but still passes the ~35 it
knows (WebDAV's PROPFIND, SEARCH, ...).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx

from tests.reliability.live import run_cli, serve
from tests.reliability.processes import environment

MADE_UP = 300  # requests with a made-up 1,000-character method, each to a new unknown path
STANDARD = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
LABEL = re.compile(r'(\w+)="([^"]*)"')


def label_values(exposition: str, metric: str) -> dict[str, set[str]]:
    """Every value each label of ``metric``'s samples takes."""
    values: dict[str, set[str]] = {}
    for line in exposition.splitlines():
        if line.startswith(metric + "{"):
            for name, value in LABEL.findall(line):
                values.setdefault(name, set()).add(value)
    return values


def test_made_up_methods_and_paths_add_no_label_values(tmp_path: Path) -> None:
    env = environment({"MOC_DATA_DIR": str(tmp_path / "data"), "MOC_LOG_LEVEL": "WARNING"})
    run_cli(["db", "upgrade"], env)  # uvicorn run directly does not migrate, as serve does
    with (
        serve(env, tmp_path / "server.log", http="h11") as served,
        httpx.Client(base_url=served.url, timeout=10) as client,
    ):
        # Every series the made-up requests would map onto exists before the baseline.
        assert client.get("/api/v1/activities").status_code == 200
        assert client.get("/no/such/page").status_code == 404
        assert client.request("PROPFIND", "/api/v1/activities").status_code == 405
        assert client.request("PROPFIND", "/no/such/page").status_code == 404
        before = len(client.get("/metrics").content)
        for i in range(MADE_UP):
            method = f"X{i:05d}".ljust(1000, "M")
            path = f"/no/such/{uuid.uuid4().hex}" if i % 2 else "/api/v1/activities"
            assert client.request(method, path).status_code in (404, 405)
        exposition = client.get("/metrics").text
    grown = len(exposition.encode()) - before
    # Only the counts change: a few digits, not a series per request.
    assert grown < 2_000, f"/metrics grew by {grown:,} bytes after {MADE_UP} made-up requests"
    labels = label_values(exposition, "moc_http_request_duration_seconds_count")
    assert labels["method"] <= STANDARD | {"OTHER"}, sorted(labels["method"])[:3]
    assert "OTHER" in labels["method"]
    assert all(not r.startswith("/no/such/") for r in labels["route"]), labels["route"]
    assert labels["status"] <= {"1xx", "2xx", "3xx", "4xx", "5xx"}
