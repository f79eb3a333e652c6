"""Activity -> search document -> public hit: the only place that knows the index schema.

Both engines index exactly these documents, so filters, facets and sort keys agree.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date
from typing import Any

from catalog.reference import Reference, reference
from catalog.schemas import ActivityOut

EPOCH = date(1970, 1, 1).toordinal()
# Filterable and facet fields: document field -> values (lists hold several per document).
FACET_FIELDS = {
    "board": "boards",
    "credit_type": "credit_types",
    "practice_area": "practice_areas",
    "specialty": "specialties",
    "activity_type": "activity_type",
    "format": "format",
    "fee": "fee",
    "registration": "registration",
    "state": "state",
    "country": "country",
    "provider": "provider_id",
}
# Searchable text, most important first (weights are the engines' business).
TEXT_FIELDS = ("title", "practice_text", "specialty_text", "provider_name", "description")


def day_number(day: date) -> int:
    """Days since 1970-01-01: a date both engines can filter and sort as an integer."""
    return day.toordinal() - EPOCH


def tie_breaker(activity_id: str) -> int:
    """A stable 32-bit number per activity that orders ties the same way in every engine."""
    return int.from_bytes(hashlib.blake2b(activity_id.encode(), digest_size=4).digest(), "big")


def fold(text: str) -> str:
    """Lower-case and strip accents, as the engines' analysers do."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def to_document(activity: ActivityOut, ref: Reference | None = None) -> dict[str, Any]:
    """Build the denormalised search document of a public activity."""
    ref = ref or reference()
    loc = activity.location
    points = {m.board: m.points for m in activity.moc}
    tie = tie_breaker(activity.id)
    return {
        "id": activity.id,
        "title": activity.title,
        "title_sort": f"{fold(activity.title)} {tie:010d}",
        "description": activity.description or "",
        "provider_id": activity.provider.id,
        "provider_name": activity.provider.name,
        "activity_type": activity.activity_type,
        "format": activity.format,
        "fee": activity.fee or "",
        "registration": activity.registration,
        "state": loc.state if loc and loc.state else "",
        "country": loc.country if loc else "",
        "boards": [m.board for m in activity.moc],
        "credit_types": [f"{m.board}:{c}" for m in activity.moc for c in m.credit_types],
        "practice_areas": [f"{m.board}:{p}" for m in activity.moc for p in m.practice_areas],
        "specialties": list(activity.specialties),
        "practice_text": " ; ".join(p for m in activity.moc for p in m.practice_areas),
        "specialty_text": " ; ".join(ref.specialties.get(s, s) for s in activity.specialties),
        "start_day": day_number(activity.start_date),
        "end_day": day_number(activity.end_date),
        "points": points,
        "max_points": max(points.values(), default=0.0),
        "lat": loc.lat if loc else None,
        "lng": loc.lng if loc else None,
        "tie": tie,
        "hit": public_hit(activity),
    }


def public_hit(activity: ActivityOut) -> dict[str, Any]:
    """The hit shape of api.md, without the per-query distance_mi and highlight."""
    loc = activity.location
    return {
        "id": activity.id,
        "title": activity.title,
        "provider": {"id": activity.provider.id, "name": activity.provider.name},
        "activity_type": activity.activity_type,
        "format": activity.format,
        "start_date": activity.start_date.isoformat(),
        "end_date": activity.end_date.isoformat(),
        "location": (
            {"city": loc.city, "state": loc.state, "country": loc.country} if loc else None
        ),
        "cme_credits": activity.cme_credits,
        "moc": [
            {
                "board": m.board,
                "points": m.points,
                "credit_types": list(m.credit_types),
                "practice_areas": list(m.practice_areas),
            }
            for m in activity.moc
        ],
        "registration": activity.registration,
        "fee": activity.fee,
        "url": activity.url,
    }
