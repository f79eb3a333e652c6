"""Request limits through the real app: body size 413, query length 414, rate limit 429."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.limits import TokenBuckets
from tests.builders import app_with_one_activity

CLIENT = ("203.0.113.7", 40000)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Any]:
    """Build one app with these settings and open a client at a fixed IP address."""
    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(app_with_one_activity(tmp_path, **overrides), client=CLIENT)
        opened.append(client.__enter__())
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert "x-request-id" in response.headers


def test_body_over_limit_is_413(make_client: Any) -> None:
    client = make_client(max_body_bytes=1000)
    response = client.put("/api/v1/providers/acme/activities/X", content=b"{" + b" " * 2000)
    assert_problem(response, 413)
    assert "1,000 bytes" in response.json()["detail"]


def test_chunked_body_over_limit_is_413(make_client: Any) -> None:
    client = make_client(max_body_bytes=1000)

    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b" " * 400

    response = client.put("/api/v1/providers/acme/activities/X", content=chunks())
    assert_problem(response, 413)


def test_chunked_body_within_limit_reaches_the_endpoint(make_client: Any) -> None:
    client = make_client(max_body_bytes=1000)

    def chunks() -> Iterator[bytes]:
        yield b'{"title":'
        yield b' "x"}'

    response = client.put("/api/v1/providers/acme/activities/X", content=chunks())
    assert response.status_code == 401  # read in full and passed on: only the key is missing


def test_uploads_keep_their_own_larger_limit(make_client: Any) -> None:
    client = make_client(max_body_bytes=1000, max_upload_bytes=100_000)
    response = client.post("/api/v1/providers/acme/imports?format=jsonl", content=b"x" * 5000)
    assert response.status_code == 401  # past the body limit, stopped only by the missing key
    too_big = client.post("/api/v1/providers/acme/imports?format=jsonl", content=b"x" * 200_000)
    assert_problem(too_big, 413)


def test_long_query_is_414(make_client: Any) -> None:
    client = make_client()
    assert_problem(client.get("/api/v1/activities", params={"q": "a" * 5000}), 414)
    assert client.get("/healthz", params={"q": "a" * 4000}).status_code == 200


def test_query_limit_counts_decoded_characters(make_client: Any) -> None:
    client = make_client(max_query_chars=50)
    # 40 characters, 240 bytes once percent-encoded: within the limit.
    assert client.get("/api/v1/activities", params={"q": "é" * 38}).status_code == 200
    assert_problem(client.get("/healthz", params={"q": "é" * 60}), 414)


def test_rate_limit_429_after_burst_with_retry_after(make_client: Any) -> None:
    client = make_client(rate_limit_per_minute=6, rate_limit_burst=3)
    for _ in range(3):
        assert client.get("/api/v1/facets").status_code == 200
    response = client.get("/api/v1/activities")
    assert_problem(response, 429)
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 10
    # Not limited: health, metrics, static files, the provider API and pages.
    for path in ["/healthz", "/readyz", "/metrics", "/api/v1/providers/acme/activities"]:
        assert client.get(path).status_code != 429, path
    assert client.get("/provider/sign-in").status_code == 200
    # Another client has its own bucket.
    other = TestClient(client.app, client=("198.51.100.9", 40000))
    assert other.get("/api/v1/facets").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/activities",
        "/api/v1/activities/export",
        "/api/v1/activities/export.csv",
        "/api/v1/activities/export.ndjson",
        "/api/v1/activities/someid",
        "/api/v1/facets",
        "/api/v1/providers/acme",
        "/api/v1/changes",
        "/",
        "/activities/someid",
        "/providers/acme",
        "/feed.atom",
    ],
)
def test_rate_limited_paths(make_client: Any, path: str) -> None:
    client = make_client(rate_limit_per_minute=1, rate_limit_burst=1)
    client.get(path)
    assert client.get(path).status_code == 429


def test_rate_limit_zero_disables(make_client: Any) -> None:
    client = make_client(rate_limit_per_minute=0, rate_limit_burst=1)
    for _ in range(20):
        assert client.get("/api/v1/facets").status_code == 200


def test_forwarded_for_ignored_unless_proxy_trusted(make_client: Any) -> None:
    client = make_client(rate_limit_per_minute=1, rate_limit_burst=1)
    assert client.get("/api/v1/facets", headers={"X-Forwarded-For": "192.0.2.1"}).is_success
    spoofed = client.get("/api/v1/facets", headers={"X-Forwarded-For": "192.0.2.2"})
    assert spoofed.status_code == 429


def test_forwarded_for_used_behind_trusted_proxy(make_client: Any) -> None:
    client = make_client(
        rate_limit_per_minute=1, rate_limit_burst=1, trusted_proxies=["203.0.113.0/24"]
    )
    for hop in ["192.0.2.1", "192.0.2.2", "192.0.2.3, 203.0.113.8"]:
        response = client.get("/api/v1/facets", headers={"X-Forwarded-For": hop})
        assert response.status_code == 200, hop
    again = client.get("/api/v1/facets", headers={"X-Forwarded-For": "192.0.2.1"})
    assert again.status_code == 429


def test_clients_without_an_ip_address_are_not_limited(tmp_path: Path) -> None:
    app = app_with_one_activity(tmp_path, rate_limit_per_minute=1, rate_limit_burst=1)
    with TestClient(app) as client:  # the peer is "testclient", not an address
        for _ in range(5):
            assert client.get("/api/v1/facets").status_code == 200


def test_token_bucket_refills_at_the_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, burst=2, clock=lambda: now[0])
    assert buckets.take("a") == 0
    assert buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0
    now[0] = 1.0
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0


def test_limits_documented_in_openapi(make_client: Any) -> None:
    paths = make_client().get("/openapi.json").json()["paths"]
    assert "429" in paths["/api/v1/activities"]["get"]["responses"]
    assert "429" in paths["/api/v1/providers/{provider_id}"]["get"]["responses"]
    assert "429" not in paths["/healthz"]["get"]["responses"]
    assert "414" in paths["/healthz"]["get"]["responses"]
    put = paths["/api/v1/providers/{provider_id}/activities/{provider_activity_id}"]["put"]
    assert "413" in put["responses"]
