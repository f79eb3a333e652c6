"""Shapes of an activity as the catalog accepts it (after the rules) and as it shows it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Format = Literal["in_person", "online", "hybrid"]
Fee = Literal["yes", "free", "variable"]
Registration = Literal["open", "limited"]
Providership = Literal["direct", "joint"]
SupportKind = Literal["monetary", "in_kind"]


class LocationIn(BaseModel):
    """Where an in-person or hybrid activity takes place."""

    model_config = ConfigDict(frozen=True)

    venue: str | None = Field(None, max_length=200, examples=["Pennsylvania Convention Center"])
    city: str = Field(examples=["Philadelphia"])
    state: str | None = Field(None, description="US: 2-letter code", examples=["PA"])
    postal_code: str | None = Field(None, examples=["19107"])
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["US"])
    lat: float | None = Field(None, ge=-90, le=90, examples=[39.955])
    lng: float | None = Field(None, ge=-180, le=180, examples=[-75.16])


class MocIn(BaseModel):
    """One board's MOC registration of an activity."""

    model_config = ConfigDict(frozen=True)

    board: str = Field(examples=["ABIM"])
    points: float = Field(gt=0, multiple_of=0.25, examples=[6.5])
    credit_types: list[str] = Field(min_length=1, examples=[["MK", "PS"]])
    practice_areas: list[str] = Field(min_length=1, examples=[["Cardiovascular Disease"]])
    credit_claim_date: date | None = Field(None, examples=["2027-03-31"])
    content_outline: list[str] = Field(
        default_factory=list,
        description="Areas of the board's content outline (ABA: 1-2 per registration).",
        examples=[["Regional Anesthesia"]],
    )


class CommercialSupportIn(BaseModel):
    """One commercial supporter of an activity (ACCME asks that each be disclosed)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=300, examples=["Example Pharmaceuticals"])
    kind: SupportKind = Field(examples=["monetary"])


class ActivityIn(BaseModel):
    """An activity as a provider submits it, after validation and normalisation."""

    model_config = ConfigDict(frozen=True)

    provider_activity_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", examples=["CARD-2026-01"])
    title: str = Field(min_length=3, max_length=300, examples=["Cardiology Update 2026"])
    description: str | None = Field(None, max_length=10_000)
    activity_type: str = Field(examples=["course"])
    format: Format
    start_date: date = Field(examples=["2026-03-05"])
    end_date: date = Field(examples=["2026-03-07"])
    location: LocationIn | None = None
    url: str | None = Field(None, examples=["https://example.org/cardiology-2026"])
    fee: Fee | None = None
    cme_credits: float = Field(gt=0, multiple_of=0.25, examples=[6.5])
    specialties: list[str] = Field(default_factory=list, examples=[["internal_medicine"]])
    moc: list[MocIn] = Field(default_factory=list)
    listed: bool = True
    registration: Registration = "open"
    accme_activity_id: str | None = Field(
        None, pattern=r"^[0-9]{1,12}$", description="The activity ID PARS assigns."
    )
    providership: Providership = "direct"
    joint_providers: list[str] = Field(default_factory=list, max_length=10)
    commercial_support: list[CommercialSupportIn] = Field(default_factory=list)
    rems: bool = Field(False, description="Education that meets the FDA Opioid Analgesic REMS.")
    mips: bool = Field(False, description="Registered as a MIPS improvement activity.")
    topics: list[str] = Field(default_factory=list, examples=[["controlled_substances"]])


class ProviderRef(BaseModel):
    id: str
    name: str


class ActivityOut(ActivityIn):
    """An activity as the catalog holds it: the submitted fields plus what the catalog adds."""

    id: str
    provider: ProviderRef
    created_at: datetime
    updated_at: datetime
