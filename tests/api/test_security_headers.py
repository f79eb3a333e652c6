"""Every response says nosniff, may not be framed and sends a Referrer-Policy; HTML pages get a
Content-Security-Policy of this site only. Through the real app: API, pages, static files,
errors and refusals alike. The API docs pages keep the policy of their own (api.api_docs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.api_docs import POLICY as DOCS_POLICY
from catalog.service import public_id
from tests.builders import app_with_one_activity

PAGE_POLICY = {
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = app_with_one_activity(tmp_path_factory.mktemp("headers"), rate_limit_burst=30)
    with TestClient(app, client=("203.0.113.9", 5000)) as test_client:
        yield test_client


def directives(response: Response) -> set[str]:
    policy = response.headers.get("content-security-policy", "")
    return {d.strip() for d in policy.split(";") if d.strip()}


def assert_common(response: Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in directives(response)


PAGES = [
    "/",
    f"/activities/{public_id('acme', 'CARD-1')}",
    "/providers/acme",
    "/provider/sign-in",
    "/about/moc-credit",
    "/no/such/page",  # the HTML 404 page
]
OTHERS = [
    "/api/v1/activities",
    "/search/results",  # JSON holding HTML parts, which the page's own policy then governs
    "/api/v1/activities/unknown",  # a problem+json 404
    "/api/v1/changes?since=x",  # a 422
    "/static/app.js",
    "/static/style.css",
    "/feed.atom",
    f"/activities/{public_id('acme', 'CARD-1')}.ics",
    "/healthz",
    "/metrics",
    "/openapi.json",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_allow_only_this_site(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["content-type"].startswith("text/html"), response.status_code
    assert_common(response)
    assert directives(response) == PAGE_POLICY
    assert "unsafe-inline" not in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", OTHERS)
def test_every_other_response_sends_the_headers_too(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert not response.headers["content-type"].startswith("text/html")
    assert_common(response)
    assert directives(response) == {"default-src 'none'", "frame-ancestors 'none'"}


def test_a_refusal_sends_them(client: TestClient) -> None:
    for _ in range(40):
        response = client.get("/api/v1/facets")
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert_common(response)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_keep_their_own_policy(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == DOCS_POLICY
    assert response.headers.get_list("content-security-policy") == [DOCS_POLICY]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_templates_hold_no_inline_script_style_or_handler() -> None:
    """What a policy of 'self' would block: keep behaviour in app.js and looks in style.css."""
    templates = Path(__file__).resolve().parents[2] / "web" / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert " style=" not in text, template.name
        assert "<style" not in text, template.name
        assert "javascript:" not in text, template.name
        assert not [w for w in text.split() if w.startswith("on") and "=" in w], template.name
        for tag in text.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/ld+json"' in opening, template.name
