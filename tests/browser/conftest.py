"""A live server over the contract catalog, Debian's Chromium driven by Playwright, and axe-core.

The catalog is the contract fixture plus 30 generated public activities of one more provider,
so the search pages paginate (20 a page). The server is uvicorn in a thread of this process on
a free loopback port. Playwright never downloads a browser here: it launches /usr/bin/chromium.
axe-core comes from the npm registry through ``npm pack``, once, cached in the temp directory.

Under CI=true nothing here may skip: a missing Chromium, npm or axe-core fails the tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from api.settings import Settings
from tests.builders import make_record
from tests.web.catalog_site import build_site

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_VERSION = "4.14.1"  # a 4.x release, pinned so that new rules arrive by a deliberate bump
AXE_CACHE = Path(tempfile.gettempdir()) / f"moc-catalog-axe-core-{AXE_VERSION}" / "axe.min.js"
GENERATED = 30
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI=true the browser tests must run, so fail instead."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason)


def generated_records() -> list[tuple[str, dict[str, Any]]]:
    """Public ABIM activities after every fixture date; none mentions cardiology."""
    return [
        (
            "gen",
            make_record(
                provider_activity_id=f"GEN-{n:02d}",
                title=f"Renal Review Session {n:02d}",
                start_date=f"2030-10-{n:02d}",
                end_date=f"2030-10-{n:02d}",
                url=f"https://example.org/gen/{n}",
                cme_credits=2,
                moc=[
                    {
                        "board": "ABIM",
                        "points": 2,
                        "credit_types": ["MK"],
                        "practice_areas": ["Nephrology"],
                    }
                ],  # fmt: skip
            ),
        )
        for n in range(1, GENERATED + 1)
    ]


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings


@contextmanager
def serve(settings: Settings) -> Iterator[LiveServer]:
    """uvicorn serving the real app over ``settings`` on 127.0.0.1 in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive(), "the live server stopped while starting"
            assert time.monotonic() < deadline, "the live server did not start in 30 s"
            time.sleep(0.05)
        yield LiveServer(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
    assert not thread.is_alive(), "the live server did not stop"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app over the contract catalog and the generated activities."""
    settings = build_site(
        tmp_path_factory.mktemp("browser"),
        extra=generated_records(),
        extra_providers={"gen": "Generated Learning Co"},
    )
    with serve(settings) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser: Browser, server: LiveServer, **options: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, **options)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh browser context at 1280 x 900 with JavaScript on."""
    yield from open_page(browser, live_server, viewport={"width": 1280, "height": 900})


@pytest.fixture
def page_without_js(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    yield from open_page(
        browser, live_server, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )


def _fetch_axe() -> str:
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is not installed, so axe-core cannot be fetched from the npm registry")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(
                [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", tmp, "--silent"],
                check=True,
                capture_output=True,
                text=True,
                timeout=180,
                stdin=subprocess.DEVNULL,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            output = getattr(exc, "stderr", "") or ""
            unavailable(f"npm pack axe-core@{AXE_VERSION} failed: {exc}\n{output}")
        tarball = next(Path(tmp).glob("axe-core-*.tgz"))
        with tarfile.open(tarball) as archive:
            member = archive.extractfile("package/axe.min.js")
            assert member is not None
            source = member.read().decode()
    AXE_CACHE.parent.mkdir(parents=True, exist_ok=True)
    partial = AXE_CACHE.with_suffix(f".{os.getpid()}.part")
    partial.write_text(source, encoding="utf-8")
    partial.replace(AXE_CACHE)  # atomic: a concurrent or interrupted run never sees half a file
    return source


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe.min.js of axe-core, fetched with npm once and then read from the temp directory."""
    header = f"/*! axe v{AXE_VERSION}"
    if AXE_CACHE.exists() and AXE_CACHE.read_text(encoding="utf-8").startswith(header):
        return AXE_CACHE.read_text(encoding="utf-8")
    source = _fetch_axe()
    assert source.startswith(header), f"npm gave something other than axe-core {AXE_VERSION}"
    return source


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def serious_axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2.2 AA violations on the page, summarised.

    axe is evaluated through the DevTools protocol: an inline <script> would be refused by the
    page's Content-Security-Policy, which stays on (the pages are checked as served)."""
    page.evaluate(axe_source)
    results = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [(n["target"], n["failureSummary"]) for n in v["nodes"][:5]],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="module")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
