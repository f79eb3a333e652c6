"""Response shapes of the JSON API, for OpenAPI (the bodies are built from these fields)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from catalog.schemas import ActivityOut


def _utc(value: datetime) -> datetime:
    """Naive means UTC: the catalog writes UTC, and SQLite hands it back without its offset."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_utc)]


class PublicActivity(ActivityOut):
    """An activity as the catalog holds it; its timestamps always carry their offset (RFC 3339)."""

    created_at: UtcDateTime
    updated_at: UtcDateTime


def public_activity_json(activity: ActivityOut) -> dict[str, Any]:
    """An activity as the detail endpoint, the changes feed and NDJSON exports give it."""
    return PublicActivity.model_validate(activity.model_dump()).model_dump(mode="json")


class HitLocation(BaseModel):
    city: str
    state: str | None
    country: str


class HitMoc(BaseModel):
    board: str = Field(examples=["ABIM"])
    points: float = Field(examples=[6.5])
    credit_types: list[str] = Field(examples=[["MK", "PS"]])
    practice_areas: list[str] = Field(examples=[["Cardiovascular Disease"]])


class HitProvider(BaseModel):
    id: str = Field(examples=["acme"])
    name: str = Field(examples=["ACME Medical Education"])


class Hit(BaseModel):
    """One search hit."""

    id: str = Field(examples=["uinkabu3h7ie5vdm"])
    title: str = Field(examples=["Cardiology Update 2027"])
    provider: HitProvider
    activity_type: str = Field(examples=["course"])
    format: str = Field(examples=["in_person"])
    start_date: date
    end_date: date
    location: HitLocation | None
    distance_mi: float | None = Field(None, description="Only when near is given.")
    cme_credits: float = Field(examples=[6.5])
    moc: list[HitMoc]
    registration: str = Field(examples=["open"])
    fee: str | None = Field(examples=["free"])
    url: str | None = Field(examples=["https://example.org/cardiology"])
    highlight: dict[str, str] | None = Field(
        None,
        description="Only when q is given: HTML-escaped text whose only markup is <mark>.",
        examples=[{"title": "<mark>Cardiology</mark> Update 2027"}],
    )


class FacetValueOut(BaseModel):
    value: str = Field(examples=["ABIM"])
    label: str = Field(examples=["American Board of Internal Medicine"])
    count: int = Field(examples=[812])
    selected: bool = Field(examples=[True])


class SearchResponse(BaseModel):
    """A page of hits with the exact total and disjunctive facet counts."""

    total: int = Field(examples=[1234])
    page: int = Field(examples=[1])
    per_page: int = Field(examples=[20])
    pages: int = Field(examples=[62])
    hits: list[Hit]
    facets: dict[str, list[FacetValueOut]]


class FieldProblem(BaseModel):
    field: str = Field(examples=["board"])
    message: str = Field(examples=["unknown value 'ABX'"])


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = Field("about:blank", examples=["about:blank"])
    status: int = Field(examples=[422])
    title: str = Field(examples=["Unprocessable Content"])
    detail: str = Field(examples=["invalid search parameters"])
    errors: list[FieldProblem] | None = None


class Option(BaseModel):
    value: str = Field(examples=["ABIM"])
    label: str = Field(examples=["American Board of Internal Medicine"])


class ProviderPublic(BaseModel):
    """A provider's public profile."""

    id: str = Field(examples=["acme"])
    name: str = Field(examples=["ACME Medical Education"])
    listed_activities: int = Field(description="Listed, current MOC activities.", examples=[42])


class Change(BaseModel):
    """One entry of the changes feed."""

    cursor: str = Field(examples=["1042"])
    op: str = Field(description="upsert or remove", examples=["upsert"])
    id: str = Field(examples=["uinkabu3h7ie5vdm"])
    activity: PublicActivity | None = Field(None, description="The activity as it is now (upsert).")


class ChangesResponse(BaseModel):
    """Public changes after a cursor, oldest first."""

    changes: list[Change]
    next: str = Field(description="Pass as since to continue.", examples=["1042"])
    has_more: bool
