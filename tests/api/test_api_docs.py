"""/docs and /redoc work without the internet: every asset they load is served by the app."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from catalog import migrate
from catalog.db import make_engine

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("docs"))
    engine = make_engine(settings.catalog_url())
    migrate.upgrade(engine)
    engine.dispose()
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize(("path", "bundle"), [("/docs", "SwaggerUIBundle"), ("/redoc", "Redoc")])
def test_docs_pages_load_only_local_assets(client: TestClient, path: str, bundle: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    html = page.text
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data:" in policy  # ReDoc's CDN logo is refused in the browser
    assert "script-src 'self';" in policy
    assert re.search(r"https?://", html) is None, "an asset from another host"
    assert re.search(r"<script>(?!\s*</script>)", html) is None, "an inline script"
    assets = ASSET.findall(html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert asset.startswith("/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
    scripts = "".join(client.get(a).text for a in assets if a.endswith(".js"))
    assert bundle in scripts
    assert client.get("/openapi.json").status_code == 200


def test_every_operation_has_examples(client: TestClient) -> None:
    """Parameters, request bodies and every success response a partner reads in /docs."""
    missing = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if not {"example", "examples"} & (set(parameter) | set(schema)):
                    missing.append(f"{where}: parameter {parameter['name']}")
            body = operation.get("requestBody", {}).get("content", {})
            if body and not any("example" in c or "examples" in c for c in body.values()):
                missing.append(f"{where}: request body")
            for code, response in operation["responses"].items():
                if not code.startswith("2"):
                    continue
                for media, content in response.get("content", {}).items():
                    if "example" not in content and "examples" not in content:
                        missing.append(f"{where}: {code} {media}")
    assert missing == []
