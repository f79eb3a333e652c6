"""Reference data shipped as package data: boards, credit types, practice areas, activity types.

Boards are data: adding one to ``data/reference.json`` needs no code change. Everything is
loaded once, on first use, never at import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class CreditType:
    code: str
    label: str
    kind: str


@dataclass(frozen=True)
class Board:
    code: str
    display_code: str
    name: str
    program: str
    active: bool
    registrations_from: date | None
    credit_types: tuple[CreditType, ...]
    practice_areas: tuple[str, ...]
    moc_statement: dict[str, Any] = field(default_factory=dict, compare=False)

    def credit_type(self, code: str) -> CreditType | None:
        return next((c for c in self.credit_types if c.code == code), None)

    def find_practice_area(self, text: str) -> str | None:
        """Return the canonical spelling of a practice area, matched without regard to case."""
        wanted = text.strip().casefold()
        return next((p for p in self.practice_areas if p.casefold() == wanted), None)


@dataclass(frozen=True)
class ActivityType:
    code: str
    label: str
    pars_legacy_code: str | None
    pars_name: str | None  # the current PARS name, e.g. "Live course"
    live: bool | None
    max_span_months: int | None
    # Deprecated PARS types fold into a current type plus a format (reference-data.json).
    maps_to_type: str | None
    maps_to_format: str | None


@dataclass(frozen=True)
class Option:
    code: str
    label: str


@dataclass(frozen=True)
class Reference:
    boards: dict[str, Board]
    activity_types: dict[str, ActivityType]
    formats: tuple[str, ...]
    fee_options: tuple[Option, ...]
    registration_options: tuple[Option, ...]
    specialties: dict[str, str]
    us_states: dict[str, str]
    countries: dict[str, str]
    alpha3_to_alpha2: dict[str, str]

    @cached_property
    def specialty_by_label(self) -> dict[str, str]:
        """Specialty codes by their casefolded label, for records that give labels."""
        return {label.casefold(): code for code, label in self.specialties.items()}

    def active_boards(self) -> list[Board]:
        return [b for b in self.boards.values() if b.active]

    @cached_property
    def activity_type_by_name(self) -> dict[str, ActivityType]:
        """Activity types by casefolded legacy PARS code, current PARS name and label."""
        found: dict[str, ActivityType] = {}
        for kind in self.activity_types.values():
            for name in (kind.pars_legacy_code, kind.pars_name, kind.label):
                if name:
                    found.setdefault(name.casefold(), kind)
        return found

    def resolve_activity_type(self, code: str) -> tuple[str, str | None] | None:
        """Map an activity-type code, legacy PARS code or name to (current code, implied format)."""
        key = code.strip()
        found = self.activity_types.get(key.lower()) or self.activity_type_by_name.get(
            key.casefold()
        )
        if found is None:
            return None
        if found.maps_to_type:
            return found.maps_to_type, found.maps_to_format
        return found.code, None


def _board(raw: dict[str, Any]) -> Board:
    start = raw.get("registrations_from")
    return Board(
        code=raw["code"],
        display_code=raw["display_code"],
        name=raw["name"],
        program=raw["program"],
        active=raw["active"],
        registrations_from=date.fromisoformat(start) if start else None,
        credit_types=tuple(
            CreditType(c["code"], c["label"], c["kind"]) for c in raw["credit_types"]
        ),
        practice_areas=tuple(raw["practice_areas"]),
        moc_statement=raw.get("moc_statement", {}),
    )


def _activity_type(raw: dict[str, Any]) -> ActivityType:
    maps_to = raw.get("maps_to") or {}
    return ActivityType(
        code=raw["code"],
        label=raw["label"],
        pars_legacy_code=raw.get("pars_legacy_code"),
        pars_name=raw.get("pars_name"),
        live=raw.get("live"),
        max_span_months=raw.get("max_span_months"),
        maps_to_type=maps_to.get("activity_type"),
        maps_to_format=maps_to.get("format"),
    )


def build_reference(raw: dict[str, Any]) -> Reference:
    """Build a Reference from the package-data JSON shape."""
    return Reference(
        boards={b["code"]: _board(b) for b in raw["boards"]},
        activity_types={a["code"]: _activity_type(a) for a in raw["activity_types"]},
        formats=tuple(raw["formats"]),
        fee_options=tuple(Option(o["code"], o["label"]) for o in raw["fee_options"]),
        registration_options=tuple(
            Option(o["code"], o["label"]) for o in raw["registration_options"]
        ),
        specialties={s["code"]: s["label"] for s in raw["specialties"]},
        us_states={s["code"]: s["name"] for s in raw["us_states"]},
        countries={c["alpha2"]: c["name"] for c in raw["countries"]},
        alpha3_to_alpha2={c["alpha3"]: c["alpha2"] for c in raw["countries"]},
    )


@cache
def reference() -> Reference:
    """Return the shipped reference data, loaded on first use."""
    text = resources.files("catalog").joinpath("data/reference.json").read_text(encoding="utf-8")
    return build_reference(json.loads(text))
