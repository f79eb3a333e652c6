"""Reference data shipped as package data: boards, credit types, practice areas, activity types,
and the researched rules and vocabularies that go with them.

Two files: ``data/reference.json`` is built from the shared reference data (what exists: boards,
credit types and their kinds, practice areas, activity types); ``data/research.json`` holds the
board rules, statement wording, the ABA content outline, the topics vocabulary and the
accreditation wording, each with its status and sources. Boards are data: adding one needs no
code change. Everything is loaded once, on first use, never at import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from importlib import resources
from typing import Any

# A board rule is enforced only when its research status says the board confirmed it.
CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    url: str


@dataclass(frozen=True)
class CreditType:
    code: str
    label: str
    kind: str
    # The last start date an activity may have to be registered for this type (ABPath SAM).
    valid_until: date | None = None


@dataclass(frozen=True)
class PointsRule:
    """How a registration's MOC points relate to the activity's AMA PRA Category 1 credits."""

    rule: str  # "equal" or "at_most"
    message: str  # "must equal cme_credits"
    status: str
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Unit:
    """What a board counts: "MOC points" (ABIM, ABP), "MOCA credits" (ABA), "credits"."""

    one: str
    many: str

    def of(self, amount: float) -> str:
        return f"{amount:g} {self.one if amount == 1 else self.many}"


@dataclass(frozen=True)
class StatementTemplate:
    """A board statement: the board's words ("verbatim") or the catalog's ("generated")."""

    key: str
    text: str
    wording: str
    sources: tuple[Source, ...] = ()
    evaluation: str = ""  # clause used only when a credit type of evaluation_kinds is registered
    evaluation_kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatementRule:
    applies_to: str  # "all", or "patient_safety" (only registrations with such a credit type)
    template: StatementTemplate
    status: str


@dataclass(frozen=True)
class OutlineCode:
    code: str
    section: str
    group: str


@dataclass(frozen=True)
class ContentOutline:
    """A board's content outline (ABA MOCA): 1-2 areas per registration."""

    name: str
    min: int
    max: int
    # True when the codes are unconfirmed: only registrations new to the catalog must give one.
    required_for_new_only: bool
    codes: tuple[OutlineCode, ...]
    xml_sources: tuple[str, ...]

    def find(self, text: str) -> str | None:
        """The code for a code, section number (``I.B.2``) or name, matched without case."""
        wanted = text.strip().casefold()
        return next(
            (c.code for c in self.codes if wanted in (c.code.casefold(), c.section.casefold())),
            None,
        )


@dataclass(frozen=True)
class YearEnd:
    """The day of the year by which a board needs completions reported to count that year."""

    month: int
    day: int
    text: str
    sources: tuple[Source, ...]


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
    points: PointsRule = PointsRule("at_most", "must not exceed cme_credits", "unconfirmed")
    unit: Unit = Unit("credit", "credits")
    statement: StatementRule | None = None
    content_outline: ContentOutline | None = None
    # The specialty the board certifies (ABMS), for activities that name none.
    specialty: str | None = None
    # When learners' completions must be reported to count that year (research.json).
    year_end: YearEnd | None = None
    # Kinds of credit type that imply the general accredited-CME type (research.json).
    implying_kinds: tuple[str, ...] = ()

    def credit_type(self, code: str) -> CreditType | None:
        return next((c for c in self.credit_types if c.code == code), None)

    def find_practice_area(self, text: str) -> str | None:
        """Return the canonical spelling of a practice area, matched without regard to case."""
        wanted = text.strip().casefold()
        return next((p for p in self.practice_areas if p.casefold() == wanted), None)

    @cached_property
    def general_credit_type(self) -> CreditType | None:
        """The board's general accredited-CME type (ABS "CME", ABA "LL"), if it has one."""
        return next((c for c in self.credit_types if c.kind == "accredited_cme"), None)

    def with_implied(self, codes: list[str]) -> list[str]:
        """Add the general accredited-CME type first when a narrower type implies it."""
        general = self.general_credit_type
        if general is None or general.code in codes:
            return codes
        kinds = {c.kind for code in codes if (c := self.credit_type(code)) is not None}
        return [general.code, *codes] if kinds & set(self.implying_kinds) else codes


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
class Topic:
    """A subject state licence renewal or a federal programme asks for (research.json)."""

    code: str
    label: str
    aliases: tuple[str, ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class AccreditationWording:
    """Accreditation statement templates of one kind of accreditor (ACCME, JA, a state)."""

    name: str
    direct: str
    joint: str
    status: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Disclosure:
    """Wording of the designation statement and the commercial-support disclosure."""

    designation: str
    designation_kinds: dict[str, str]
    designation_status: str
    support_none: str
    support_some: str
    support_kinds: dict[str, str]  # "monetary" -> "educational grant"
    sources: tuple[Source, ...]


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
    topics: dict[str, Topic]
    accreditation: dict[str, AccreditationWording]  # "ACCME", "JA", "state"
    disclosure: Disclosure

    @cached_property
    def specialty_by_name(self) -> dict[str, str]:
        """Specialty codes by casefolded code and label, for records that give either."""
        by_label = {label.casefold(): code for code, label in self.specialties.items()}
        return by_label | {code.casefold(): code for code in self.specialties}

    @cached_property
    def topic_by_name(self) -> dict[str, str]:
        """Topic codes by casefolded code, label and alias (PARS state content tags use names)."""
        found: dict[str, str] = {}
        for topic in self.topics.values():
            for name in (topic.code, topic.label, *topic.aliases):
                found.setdefault(name.casefold(), topic.code)
        return found

    def active_boards(self) -> list[Board]:
        return [b for b in self.boards.values() if b.active]

    def find_board(self, code: str) -> Board | None:
        """A board by its code or display code, without regard to case (ABPath = ABPATH)."""
        wanted = code.strip().upper()
        return self.boards.get(wanted) or next(
            (b for b in self.boards.values() if b.display_code.upper() == wanted), None
        )

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


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


class _Research:
    """Readers of research.json; sources are cited by key and resolved here."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.sources = {
            key: Source(key, s["title"], s["url"]) for key, s in raw.get("sources", {}).items()
        }
        self.templates = {
            key: StatementTemplate(
                key,
                t["text"],
                t["wording"],
                self.cite(t),
                t.get("evaluation", ""),
                tuple(t.get("evaluation_kinds", ())),
            )
            for key, t in raw.get("statement_templates", {}).items()
        }

    def cite(self, entry: dict[str, Any]) -> tuple[Source, ...]:
        return tuple(self.sources[key] for key in entry.get("sources", ()))

    def board(self, code: str) -> dict[str, Any]:
        found: dict[str, Any] = self.raw.get("boards", {}).get(code, {})
        return found

    def points(self, code: str) -> PointsRule:
        entry = self.board(code).get("points", {"rule": "at_most", "status": "unconfirmed"})
        # An unconfirmed "equal" would reject valid data: only the general cap applies then.
        rule = entry["rule"] if entry["status"] == CONFIRMED else "at_most"
        return PointsRule(rule, self.raw["points_rules"][rule], entry["status"], self.cite(entry))

    def year_end(self, code: str) -> YearEnd | None:
        entry = self.board(code).get("year_end")
        if entry is None:
            return None
        return YearEnd(entry["month"], entry["day"], entry["text"], self.cite(entry))

    def unit(self, code: str) -> Unit:
        entry = self.board(code).get("unit", {"one": "credit", "many": "credits"})
        return Unit(entry["one"], entry["many"])

    def statement(self, code: str) -> StatementRule | None:
        entry = self.board(code).get("statement")
        if entry is None:
            return None
        return StatementRule(
            entry["applies_to"], self.templates[entry["template"]], entry["status"]
        )

    def outline(self, code: str) -> ContentOutline | None:
        entry = self.board(code).get("content_outline")
        if entry is None:
            return None
        return ContentOutline(
            name=entry["name"],
            min=entry["min"],
            max=entry["max"],
            required_for_new_only=entry["required_for"] == "new_registrations",
            codes=tuple(OutlineCode(c["code"], c["section"], c["group"]) for c in entry["codes"]),
            xml_sources=tuple(entry.get("xml_sources", ())),
        )

    def credit_type(self, board: str, raw: dict[str, Any]) -> CreditType:
        entry = self.board(board).get("credit_types", {}).get(raw["code"], {})
        confirmed = entry.get("status") == CONFIRMED
        until = _date(entry.get("valid_until")) if confirmed else None
        return CreditType(raw["code"], raw["label"], raw["kind"], until)

    def implying_kinds(self) -> tuple[str, ...]:
        entry = self.raw.get("credit_type_implication", {})
        return tuple(entry.get("implied_by_kinds", ())) if entry.get("status") == CONFIRMED else ()

    def topics(self) -> dict[str, Topic]:
        return {
            t["code"]: Topic(t["code"], t["label"], tuple(t.get("aliases", ())), self.cite(t))
            for t in self.raw.get("topics", ())
        }

    def accreditation(self) -> dict[str, AccreditationWording]:
        return {
            kind: AccreditationWording(
                a["name"], a["direct"], a["joint"], a["status"], self.cite(a)
            )
            for kind, a in self.raw.get("accreditors", {}).items()
        }

    def disclosure(self) -> Disclosure:
        designation = self.raw["designation_statement"]
        support = self.raw["commercial_support_disclosure"]
        return Disclosure(
            designation=designation["text"],
            designation_kinds=designation["kinds"],
            designation_status=designation["status"],
            support_none=support["none"],
            support_some=support["some"],
            support_kinds={"monetary": support["monetary"], "in_kind": support["in_kind"]},
            sources=self.cite(designation) + self.cite(support),
        )


def _board(raw: dict[str, Any], research: _Research) -> Board:
    code = raw["code"]
    return Board(
        code=code,
        display_code=raw["display_code"],
        name=raw["name"],
        program=raw["program"],
        active=raw["active"],
        registrations_from=_date(raw.get("registrations_from")),
        credit_types=tuple(research.credit_type(code, c) for c in raw["credit_types"]),
        practice_areas=tuple(raw["practice_areas"]),
        points=research.points(code),
        unit=research.unit(code),
        statement=research.statement(code),
        content_outline=research.outline(code),
        specialty=research.board(code).get("specialty", {}).get("code"),
        year_end=research.year_end(code),
        implying_kinds=research.implying_kinds(),
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


def build_reference(raw: dict[str, Any], research_raw: dict[str, Any]) -> Reference:
    """Build a Reference from the package-data JSON shapes (reference.json, research.json)."""
    research = _Research(research_raw)
    return Reference(
        boards={b["code"]: _board(b, research) for b in raw["boards"]},
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
        topics=research.topics(),
        accreditation=research.accreditation(),
        disclosure=research.disclosure(),
    )


def _package_json(name: str) -> dict[str, Any]:
    text = resources.files("catalog").joinpath(f"data/{name}").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def reference() -> Reference:
    """Return the shipped reference data, loaded on first use."""
    return build_reference(_package_json("reference.json"), _package_json("research.json"))
