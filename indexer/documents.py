"""Activity -> search document -> public hit: the only place that knows the index schema.

Both engines index exactly these documents, so filters, facets and sort keys agree.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date
from typing import Annotated, Any, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from catalog.reference import Reference, reference
from catalog.schemas import ActivityOut
from indexer.vocabulary import FLAGS

EPOCH = date(1970, 1, 1).toordinal()
ISO_DATE = Field(json_schema_extra={"format": "date"}, examples=["2026-03-05"])


class HitProvider(TypedDict):
    id: Annotated[str, Field(examples=["acme"])]
    name: Annotated[str, Field(examples=["ACME Medical Education"])]


class HitLocation(TypedDict):
    city: str
    state: str | None
    country: str


class HitMoc(TypedDict):
    board: Annotated[str, Field(examples=["ABIM"])]
    points: Annotated[float, Field(examples=[6.5])]
    credit_types: Annotated[list[str], Field(examples=[["MK", "PS"]])]
    practice_areas: Annotated[list[str], Field(examples=[["Cardiovascular Disease"]])]


class Hit(TypedDict):
    """One search hit (api.md): what engines return, the API sends, and pages and exports show.

    Engines add ``distance_mi`` when a search has a place; the search service adds
    ``highlight`` when it has words.
    """

    id: Annotated[str, Field(examples=["uinkabu3h7ie5vdm"])]
    title: Annotated[str, Field(examples=["Cardiology Update 2027"])]
    provider: HitProvider
    activity_type: Annotated[str, Field(examples=["course"])]
    format: Annotated[str, Field(examples=["in_person"])]
    start_date: Annotated[str, ISO_DATE]
    end_date: Annotated[str, ISO_DATE]
    location: HitLocation | None
    cme_credits: Annotated[float, Field(examples=[6.5])]
    moc: list[HitMoc]
    registration: Annotated[str, Field(examples=["open"])]
    fee: Annotated[str | None, Field(examples=["free"])]
    url: Annotated[str | None, Field(examples=["https://example.org/cardiology"])]
    distance_mi: NotRequired[Annotated[float, Field(description="Only when near is given.")]]
    highlight: NotRequired[
        Annotated[
            dict[str, str],
            Field(
                description="Only when q is given: HTML-escaped text whose only markup is <mark>.",
                examples=[{"title": "<mark>Cardiology</mark> Update 2027"}],
            ),
        ]
    ]


# Searchable text, most important first (weights are the engines' business).
TEXT_FIELDS = (
    "title",
    "practice_text",
    "specialty_text",
    "provider_name",
    "moc_text",
    "description",
)


def board_codes(ref: Reference | None = None) -> list[str]:
    """Every board code, sorted: engines keep one points field per board."""
    return sorted((ref or reference()).boards)


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
    named = specialties(activity, ref)
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
        # The state facet and filter are US state codes; a region elsewhere has no code there.
        "state": loc.state if loc and loc.state and loc.country == "US" else "",
        "country": loc.country if loc else "",
        "boards": [m.board for m in activity.moc],
        "credit_types": [f"{m.board}:{c}" for m in activity.moc for c in m.credit_types],
        "practice_areas": [f"{m.board}:{p}" for m in activity.moc for p in m.practice_areas],
        "specialties": named,
        "content_outlines": [f"{m.board}:{c}" for m in activity.moc for c in m.content_outline],
        "topics": list(activity.topics),
        # A flag parameter is named for the catalog's boolean field it filters on.
        "flags": [p.name for p in FLAGS if getattr(activity, p.name)],
        "practice_text": " ; ".join(p for m in activity.moc for p in m.practice_areas),
        "specialty_text": " ; ".join(ref.specialties.get(s, s) for s in named),
        "moc_text": moc_text(activity, ref),
        "start_day": day_number(activity.start_date),
        "end_day": day_number(activity.end_date),
        "points": points,
        "max_points": max(points.values(), default=0.0),
        "cme_credits": activity.cme_credits,
        "lat": loc.lat if loc else None,
        "lng": loc.lng if loc else None,
        "tie": tie,
        "hit": public_hit(activity),
    }


def specialties(activity: ActivityOut, ref: Reference) -> list[str]:
    """The specialties an activity names, else those of the boards it is registered with
    (PARS sends practice areas, not specialties; each board certifies one specialty)."""
    if activity.specialties:
        return list(activity.specialties)
    boards = (ref.boards.get(m.board) for m in activity.moc)
    return list(dict.fromkeys(b.specialty for b in boards if b and b.specialty))


def moc_text(activity: ActivityOut, ref: Reference) -> str:
    """The words physicians use for what an activity counts for: each board's code, name and
    programme, the names of its credit types ("patient safety", "medical knowledge") and
    content outline areas, and its topics with their other names ("opioid prescribing")."""
    parts: list[str] = []
    for m in activity.moc:
        board = ref.boards.get(m.board)
        if board is None:
            parts.append(m.board)
            continue
        parts += [board.code, board.display_code, board.name, board.program]
        parts += [c.label for c in board.credit_types if c.code in m.credit_types]
        parts += m.content_outline
    for code in activity.topics:
        topic = ref.topics.get(code)
        parts += [topic.label, *topic.aliases] if topic else [code]
    return " ; ".join(dict.fromkeys(parts))


def public_hit(activity: ActivityOut) -> Hit:
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
