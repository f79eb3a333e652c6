"""Builders of valid test data; overrides replace fields."""

from __future__ import annotations

from typing import Any


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
