"""Schemathesis over every operation of the app's own OpenAPI, in-process over ASGI.

Each operation gets its explicit examples, the coverage phase (boundary and invalid values,
positive and negative) and at least 100 fuzzed cases, against a real demo catalog with a real
tantivy index. Every default check runs on every response: no 5xx, status codes, content types
and bodies as documented, invalid input rejected, valid input accepted (except where the search
parameters' rules cannot be written in OpenAPI, see ``excluded_checks``), 405 with Allow, and so on.

The schema is loaded from ``create_app(...).openapi()`` at import, because
``schemathesis.pytest.from_fixture`` does not work with this pytest; the requests still go to
the fixture's app through schemathesis's ASGI transport (``app=``), which runs the app's
lifespan itself and ends it after each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import settings

from api.app import create_app
from api.settings import Settings
from catalog import migrate
from catalog.db import make_engine
from catalog.demo_load import load_demo
from indexer.engines.tantivy import TantivyEngine
from indexer.rebuild import rebuild_index

# Building the OpenAPI opens nothing: the lifespan, which does, only runs when the app is called.


@schemathesis.serializer(
    "application/x-ndjson",
    "application/jsonl",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
def _batch_file(_ctx: Any, value: Any) -> bytes:
    """Batch uploads are opaque bytes (the import endpoint's body is the file itself)."""
    return value if isinstance(value, bytes) else str(value).encode()


schema = schemathesis.openapi.from_dict(create_app(Settings(data_dir=Path("unused"))).openapi())
SEARCH_PATHS = {
    "/api/v1/activities",
    "/api/v1/activities/export.csv",
    "/api/v1/activities/export.ndjson",
}
REQUIRED_CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app over a migrated, indexed demo catalog of 300 activities."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("schema"))
    db = make_engine(settings.catalog_url())
    migrate.upgrade(db)
    load_demo(db, activities=300, seed=1, today=date.today())
    rebuild_index(db, TantivyEngine(settings.data_dir / "index"), settings.data_dir / "sync.lock")
    db.dispose()
    app = create_app(settings)
    assert app.openapi() == schema.raw_schema, "the fuzzed schema must be this app's"
    return app


def test_required_checks_are_on() -> None:
    for name in REQUIRED_CHECKS:
        assert schema.config.checks.get_by_name(name=name).enabled, name


@schema.parametrize()
@settings(max_examples=100, derandomize=True)  # the same cases every run: CI must not flake
def test_operation_conforms_to_schema(case: schemathesis.Case, app: FastAPI) -> None:
    excluded = []
    if case.operation.path in SEARCH_PATHS:
        # Schema-valid search parameters can still be refused with a 422: codes must be in the
        # reference data, near a known ZIP code, page within the results, sort=distance needs
        # near, date_to on or after date_from. OpenAPI cannot say any of that.
        excluded.append(schemathesis.checks.positive_data_acceptance)
        # Negative cases there are mostly "wrong types" that reach us as strings anyway
        # (provider=false is a valid provider id); values are checked by parse_search.
        excluded.append(schemathesis.checks.negative_data_rejection)
    case.call_and_validate(app=app, excluded_checks=excluded)


def _get(app: FastAPI, path: str, **kwargs: Any) -> schemathesis.Response:
    """Call one documented operation as a test case, with every check on its response."""
    case = schema[path]["GET"].Case(**kwargs)
    return case.call_and_validate(app=app)


def _public_hits(app: FastAPI) -> Iterator[dict[str, Any]]:
    page, pages = 1, 1
    while page <= pages:
        body = _get(app, "/api/v1/activities", query={"per_page": 100, "page": page}).json()
        yield from body["hits"]
        page, pages = page + 1, body["pages"]


def test_real_activities_and_providers_conform(app: FastAPI) -> None:
    """Fuzzed ids are never real ones, so every public activity and provider is read as well."""
    hits = list(_public_hits(app))
    assert len(hits) > 50
    providers = {hit["provider"]["id"] for hit in hits}
    for hit in hits:
        response = _get(
            app, "/api/v1/activities/{activity_id}", path_parameters={"activity_id": hit["id"]}
        )
        assert response.status_code == 200
        assert response.json()["id"] == hit["id"]
    for provider_id in providers:
        response = _get(
            app, "/api/v1/providers/{provider_id}", path_parameters={"provider_id": provider_id}
        )
        assert response.status_code == 200
        assert response.json()["listed_activities"] > 0


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/api/v1/activities", {"query": {"board": ["ABIM"]}}),
        ("/api/v1/facets", {}),
        ("/api/v1/providers/{provider_id}", {"path_parameters": {"provider_id": "demo-0001"}}),
    ],
)
def test_not_modified_conforms(app: FastAPI, path: str, kwargs: dict[str, Any]) -> None:
    first = _get(app, path, **kwargs)
    assert first.status_code == 200
    again = _get(app, path, headers={"If-None-Match": first.headers["etag"][0]}, **kwargs)
    assert again.status_code == 304
    assert again.content == b""
