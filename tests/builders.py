"""Builders of valid test data; overrides replace fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from api.app import create_app
from api.settings import Settings
from catalog import migrate
from catalog.db import make_engine, session_scope
from catalog.providers import add_provider
from catalog.rules import parse_activity
from catalog.service import upsert_activity


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


def app_with_one_activity(data_dir: Path, **overrides: Any) -> FastAPI:
    """The app on a new SQLite catalog in ``data_dir`` holding make_record() of provider acme."""
    settings = Settings(data_dir=data_dir, **overrides)
    engine = make_engine(settings.catalog_url())
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        add_provider(session, provider_id="acme", name="ACME CME")
        upsert_activity(session, provider_id="acme", data=parse_activity(make_record()))
    engine.dispose()
    return create_app(settings)
