"""A partner finds how to authenticate in /docs with the internet cut off, exports the CSV,
edits one row and imports it again with a provider key."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_provider_journey import key_for
from tests.contract.catalog_fixture import id_of

pytestmark = pytest.mark.browser


def offline(page: Page, server: LiveServer) -> list[str]:
    """Refuse every request that leaves the live server; return the refused addresses."""
    refused: list[str] = []

    def handle(route: Route) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.context.route("**/*", handle)
    return refused


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_work_without_the_internet(
    page: Page, live_server: LiveServer, path: str
) -> None:
    refused = offline(page, live_server)
    page.goto(path)
    if path == "/docs":
        expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    else:
        expect(page.get_by_text("ProviderKey").first).to_be_visible()
    assert refused == []


def test_partner_journey_auth_export_edit_import(page: Page, live_server: LiveServer) -> None:
    refused = offline(page, live_server)
    page.goto("/docs")
    page.get_by_role("button", name="Authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    expect(dialog).to_contain_text("ProviderKey")
    expect(dialog).to_contain_text("Bearer")
    expect(dialog).to_contain_text("Authorization: Bearer moc_")
    page.keyboard.press("Escape")
    assert refused == []

    exported = page.request.get("/api/v1/activities/export.csv", params={"provider": "kids"})
    assert exported.ok
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(exported.text())))
    header, body = rows[0], rows[1:]
    assert len(body) == 2
    title = header.index("title")
    row = next(r for r in body if r[header.index("provider_activity_id")] == "D")
    row[title] = "Pediatric Cardiology Grand Rounds, Spring Series"
    out = io.StringIO()
    csv.writer(out).writerows([header, *body])

    key = key_for(live_server, "kids")
    imported = page.request.post(
        "/api/v1/providers/kids/imports",
        headers={"Authorization": f"Bearer {key}"},
        multipart={"file": {"name": "kids.csv", "mimeType": "text/csv",
                            "buffer": out.getvalue().encode()}},
    )  # fmt: skip
    assert imported.status == 200, imported.text()
    assert imported.json()["written"] == {"created": 0, "updated": 1, "unchanged": 1, "deleted": 0}
    page.goto(f"/activities/{id_of('D')}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Pediatric Cardiology Grand Rounds, Spring Series"
    )
