"""`moc-catalog serve` as a real process logs one JSON line per request, and nothing else.

uvicorn's own access log would print a plain-text line beside each of ours; its startup
messages, too, must come out as JSON lines.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from tests.reliability.live import serve
from tests.reliability.processes import environment


def test_serve_logs_one_json_line_per_request(tmp_path: Path) -> None:
    env = environment({"MOC_DATA_DIR": str(tmp_path / "data"), "MOC_LOG_LEVEL": "INFO"})
    ids = [uuid.uuid4().hex for _ in range(5)]
    log = tmp_path / "serve.log"
    with serve(env, log) as served, httpx.Client(base_url=served.url) as client:
        for request_id in ids:
            assert client.get("/healthz", headers={"X-Request-ID": request_id}).is_success
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"a log line that is not JSON: {line!r}") from None
    for request_id in ids:
        mine = [r for r in records if r.get("request_id") == request_id]
        assert [r["logger"] for r in mine] == ["moc.access"], mine
    assert not [r for r in records if r["logger"] == "uvicorn.access"]
