"""Builders of valid test data (overrides replace fields) and of catalogs built from it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from api.app import create_app
from api.settings import Settings
from catalog import migrate
from catalog.db import make_engine, session_scope
from catalog.providers import add_provider
from catalog.rules import parse_activity
from catalog.service import upsert_activity
from indexer.engines.meilisearch import MeilisearchEngine
from indexer.engines.tantivy import TantivyEngine
from indexer.rebuild import rebuild_index
from tests.meili_server import unique_index


def make_record(**overrides: Any) -> dict[str, Any]:
    """A valid raw in-person activity record; overrides replace top-level fields."""
    record: dict[str, Any] = {
        "provider_activity_id": "CARD-1",
        "title": "Cardiology Update",
        "activity_type": "course",
        "format": "in_person",
        "start_date": "2030-03-05",
        "end_date": "2030-03-07",
        "location": {
            "city": "Philadelphia",
            "state": "PA",
            "postal_code": "19107",
            "country": "US",
        },
        "url": "https://example.org/cardiology",
        "fee": "yes",
        "cme_credits": 6.5,
        "specialties": ["internal_medicine"],
        "moc": [
            {
                "board": "ABIM",
                "points": 6.5,
                "credit_types": ["MK", "PS"],
                "practice_areas": ["Cardiovascular Disease"],
            }
        ],
    }
    return record | overrides


def build_catalog(
    data_dir: Path,
    records: Iterable[tuple[str, dict[str, Any]]],
    providers: Mapping[str, str],
    accreditors: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """A SQLite catalog in ``data_dir``: migrated, (provider id, raw record) pairs written
    through the real write path and indexed with tantivy. Returns its settings.

    Providers are accredited by the ACCME unless ``accreditors`` says otherwise."""
    settings = Settings(data_dir=data_dir, **overrides)
    db = make_engine(settings.catalog_url())
    migrate.upgrade(db)
    with session_scope(db) as session:
        for provider_id, name in providers.items():
            body = (accreditors or {}).get(provider_id, "ACCME")
            add_provider(session, provider_id=provider_id, name=name, accreditor=body)
        for provider_id, record in records:
            upsert_activity(session, provider_id=provider_id, data=parse_activity(record))
    engine = TantivyEngine(data_dir / "index")
    rebuild_index(db, engine, data_dir / "sync.lock")
    engine.close()
    db.dispose()
    return settings


def app_with_one_activity(data_dir: Path, **overrides: Any) -> FastAPI:
    """The app on a new catalog in ``data_dir`` holding make_record() of provider acme."""
    records = [("acme", make_record())]
    return create_app(build_catalog(data_dir, records, {"acme": "ACME CME"}, **overrides))


ENGINES = ["tantivy", "meilisearch"]


def on_engine(settings: Settings, engine: str, request: pytest.FixtureRequest) -> Settings:
    """The catalog of ``settings`` served by ``engine``: for Meilisearch, indexed into a new
    index of the session's live server with the documented sync key and searched with the
    documented search key (the server comes from the ``meili`` fixture)."""
    if engine == "tantivy":
        return settings
    meili = request.getfixturevalue("meili")
    index = unique_index("site")
    db = make_engine(settings.catalog_url())
    writer = MeilisearchEngine(meili.url, meili.sync_key(index), index)
    rebuild_index(db, writer, settings.data_dir / "sync.lock")
    db.dispose()
    return settings.model_copy(
        update={
            "search_engine": "meilisearch",
            "meili_url": meili.url,
            "meili_key": meili.search_key(index),
            "meili_index": index,
        }
    )
