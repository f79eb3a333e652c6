"""The rules an activity must follow (api.md), checked all at once.

``parse_activity`` takes a raw record (a JSON object, or a dict an importer built from a CSV
row or an XML element) and returns a normalised :class:`ActivityIn`, or raises
:class:`InvalidActivity` listing every problem with a dotted field path.

Checks are hand-written rather than left to pydantic because cross-field rules (a credit type
valid for *its* board, a location required by the format) must be reported together with
the plain type errors, each at its exact index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from catalog.errors import FieldError, InvalidActivity
from catalog.fields import (
    Problems,
    as_bool,
    as_choice,
    as_date,
    as_list,
    as_number,
    as_text,
    unicode_problems,
)
from catalog.geo import gazetteer
from catalog.hints import closest
from catalog.reference import Board, Reference, reference
from catalog.schemas import ActivityIn, CommercialSupportIn, LocationIn, MocIn

PROVIDER_ACTIVITY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ACCME_ACTIVITY_ID = re.compile(r"^[0-9]{1,12}$")
US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
WHITESPACE = re.compile(r"\s")
# A state, province or region outside the US: a name or code, never markup or a formula.
REGION = re.compile(r"^[^\W_](?:[^\W_]|[ .'’-])*$")
REGION_HINT = "letters, digits, spaces, . ' -"
MAX_CREDITS = 1000.0
# Fields the catalog adds; a record exported by us may carry them back in, and they are ignored.
READ_ONLY_FIELDS = frozenset({"id", "provider", "created_at", "updated_at"})
ACTIVITY_FIELDS = frozenset(ActivityIn.model_fields)
LOCATION_FIELDS = frozenset(LocationIn.model_fields)
MOC_FIELDS = frozenset(MocIn.model_fields)
SUPPORT_FIELDS = frozenset(CommercialSupportIn.model_fields)
FEE_LABELS = {"yes": "yes", "no, it's free": "free", "no": "free", "free": "free"}
REGISTRATION_LABELS = {"open to all": "open", "open": "open", "limited": "limited"}
# PARS says "Direct" / "Joint"; its legacy templates "directly" / "jointly provided".
PROVIDERSHIP_LABELS = {
    "direct": "direct",
    "joint": "joint",
    "directly provided": "direct",
    "jointly provided": "joint",
}
SUPPORT_KINDS = {
    "monetary": "monetary",
    "in_kind": "in_kind",
    "in-kind": "in_kind",
    "in kind": "in_kind",
}
MAX_JOINT_PROVIDERS = 10

Registered = Callable[[str, str], bool]
"""Whether the catalog already holds (provider activity id, board)'s registration."""


def parse_activity(raw: object, *, registered: Registered | None = None) -> ActivityIn:
    """Check a raw record against every rule; return it normalised or raise InvalidActivity.

    ``registered`` tells whether a registration is already in the catalog: rules that apply
    only to new registrations (the ABA content outline while its codes are unconfirmed) use
    it. Without it every registration counts as new.
    """
    problems = Problems()
    if not isinstance(raw, Mapping):
        raise InvalidActivity([FieldError("", "an activity must be a JSON object")])
    # Alone, and first: no other rule can read such text, nor could any message quote it.
    if broken := unicode_problems(raw):
        raise InvalidActivity(broken)
    out = _activity_fields(problems, raw, reference(), registered)
    if problems:
        raise InvalidActivity(problems.errors)
    return ActivityIn.model_validate(out)


def _unknown_fields(p: Problems, raw: Mapping[str, Any], known: frozenset[str], at: str) -> None:
    for name in raw:
        if name not in known and name not in READ_ONLY_FIELDS | {""}:
            p.add(f"{at}{name}", "unknown field")


def _activity_fields(
    p: Problems, raw: Mapping[str, Any], ref: Reference, registered: Registered | None
) -> dict[str, Any]:
    _unknown_fields(p, raw, ACTIVITY_FIELDS, "")
    out: dict[str, Any] = {
        "provider_activity_id": as_text(
            p,
            "provider_activity_id",
            raw.get("provider_activity_id"),
            pattern=PROVIDER_ACTIVITY_ID,
            pattern_hint="1-64 of A-Z a-z 0-9 . _ -",
        ),
        "title": as_text(p, "title", raw.get("title"), min_len=3, max_len=300),
        "description": as_text(
            p,
            "description",
            raw.get("description"),
            required=False,
            max_len=10_000,
            multiline=True,
        ),  # fmt: skip
        "start_date": as_date(p, "start_date", raw.get("start_date")),
        "end_date": as_date(p, "end_date", raw.get("end_date")),
        "cme_credits": as_number(p, "cme_credits", raw.get("cme_credits"), maximum=MAX_CREDITS),
        "listed": as_bool(p, "listed", raw.get("listed"), default=True),
        "registration": as_choice(
            p, "registration", raw.get("registration"), REGISTRATION_LABELS, default="open"
        ),
        "specialties": _codes(p, "specialties", raw.get("specialties"), ref.specialty_by_name),
        "accme_activity_id": as_text(
            p,
            "accme_activity_id",
            _digits(raw.get("accme_activity_id")),
            required=False,
            pattern=ACCME_ACTIVITY_ID,
            pattern_hint="1-12 digits (the activity ID PARS assigns)",
        ),
        "providership": as_choice(
            p, "providership", raw.get("providership"), PROVIDERSHIP_LABELS, default="direct"
        ),
        "commercial_support": _commercial_support(p, raw.get("commercial_support")),
        "rems": as_bool(p, "rems", raw.get("rems"), default=False),
        "mips": as_bool(p, "mips", raw.get("mips"), default=False),
        "topics": _codes(p, "topics", raw.get("topics"), ref.topic_by_name),
    }
    out["joint_providers"] = _joint_providers(p, raw.get("joint_providers"), out["providership"])
    out["activity_type"], out["format"] = _type_and_format(p, raw, ref)
    out["fee"] = as_choice(
        p,
        "fee",
        raw.get("fee"),
        FEE_LABELS | {"variable": "variable"},
        required=out["listed"] is True,
    )
    out["url"] = _url(p, raw.get("url"), required=out["listed"] is True)
    out["location"] = _location(p, raw.get("location"), out["format"], ref)
    _check_dates(p, out, ref)
    out["moc"] = _registrations(p, raw.get("moc"), out, ref, registered)
    return out


def _type_and_format(
    p: Problems, raw: Mapping[str, Any], ref: Reference
) -> tuple[str | None, str | None]:
    code = as_text(p, "activity_type", raw.get("activity_type"))
    implied: str | None = None
    if code is not None:
        resolved = ref.resolve_activity_type(code)
        if resolved is None:
            p.add(
                "activity_type",
                f"unknown activity type {code!r}; expected one of "
                + ", ".join(a for a in ref.activity_types if a not in _deprecated_codes(ref)),
            )
            code = None
        else:
            code, implied = resolved
    # Legacy PARS types such as IL (Internet Live Course) imply the format when none is given.
    given = raw.get("format") if raw.get("format") not in (None, "") else implied
    fmt = as_choice(p, "format", given, {f: f for f in ref.formats} | _FORMAT_ALIASES)
    return code, fmt


_FORMAT_ALIASES = {"in-person": "in_person", "in person": "in_person"}


def _deprecated_codes(ref: Reference) -> set[str]:
    return {a.code for a in ref.activity_types.values() if a.maps_to_type}


# What the message calls an item of each vocabulary list.
_VOCABULARY_ITEM = {"specialties": "specialty", "topics": "topic"}


def _codes(p: Problems, at: str, value: object, by_name: Mapping[str, str]) -> list[str]:
    """Codes of a reference vocabulary given by code or name (``by_name`` keys casefolded)."""
    items = as_list(p, at, value)
    found: list[str] = []
    for i, item in enumerate(items):
        code = by_name.get(item.strip().casefold()) if isinstance(item, str) else None
        if code is None:
            p.add(f"{at}.{i}", f"unknown {_VOCABULARY_ITEM[at]} {item!r}")
        elif code not in found:
            found.append(code)
    return found


def _digits(value: object) -> object:
    """An identifier given as a JSON number (200000001) reads as its digits."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _joint_providers(p: Problems, value: object, providership: str | None) -> list[str]:
    items = as_list(p, "joint_providers", value)
    names: list[str] = []
    for j, item in enumerate(items):
        name = as_text(p, f"joint_providers.{j}", item, max_len=300)
        if name is not None and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    if p.has_under("joint_providers"):
        return names
    if providership == "joint" and not names:
        p.add(
            "joint_providers",
            f"is required when providership is joint (1-{MAX_JOINT_PROVIDERS} names)",
        )
    elif providership == "direct" and names:
        p.add("joint_providers", "must be empty when providership is direct")
    elif len(names) > MAX_JOINT_PROVIDERS:
        p.add("joint_providers", f"must list at most {MAX_JOINT_PROVIDERS} names")
    return names


def _commercial_support(p: Problems, value: object) -> list[dict[str, str]]:
    """Commercial supporters: each a name and whether the support was monetary or in kind."""
    found: list[dict[str, str]] = []
    for j, item in enumerate(as_list(p, "commercial_support", value)):
        at = f"commercial_support.{j}"
        if not isinstance(item, Mapping):
            p.add(at, "must be an object with name and kind")
            continue
        _unknown_fields(p, item, SUPPORT_FIELDS, f"{at}.")
        name = as_text(p, f"{at}.name", item.get("name"), max_len=300)
        kind = as_choice(p, f"{at}.kind", item.get("kind"), SUPPORT_KINDS)
        if name is not None and kind is not None and {"name": name, "kind": kind} not in found:
            found.append({"name": name, "kind": kind})
    return found


def _url(p: Problems, value: object, *, required: bool) -> str | None:
    text = as_text(
        p,
        "url",
        value,
        required=required,
        max_len=2000,
        required_message="is required when the activity is listed",
    )
    if text is None:
        return None
    if not _is_web_url(text):
        p.add("url", "must be an absolute http or https URL")
        return None
    if "@" in urlsplit(text).netloc:
        # RFC 9110 4.2.4: http(s) URLs carry no userinfo; shown to physicians, it would leak
        # a password or dress a link up as another site (https://trusted.org@evil.example).
        p.add("url", "must not hold a user name or password (user:password@)")
        return None
    return text


def _is_web_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError on a port out of range
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return (
        parts.scheme in ("http", "https") and bool(parts.hostname) and not WHITESPACE.search(text)
    )


def _location(p: Problems, value: object, fmt: str | None, ref: Reference) -> dict[str, Any] | None:
    if value is None or value == {}:
        if fmt in ("in_person", "hybrid"):
            p.add("location", f"is required when format is {fmt}")
        return None
    if not isinstance(value, Mapping):
        p.add("location", "must be an object with city and country")
        return None
    _unknown_fields(p, value, LOCATION_FIELDS, "location.")
    loc: dict[str, Any] = {
        "venue": as_text(p, "location.venue", value.get("venue"), required=False, max_len=200),
        "city": as_text(p, "location.city", value.get("city"), max_len=100),
        "country": _country(p, value.get("country"), ref),
        "lat": as_number(
            p,
            "location.lat",
            value.get("lat"),
            required=False,
            positive=False,
            quarter=False,
            minimum=-90,
            maximum=90,
        ),
        "lng": as_number(
            p,
            "location.lng",
            value.get("lng"),
            required=False,
            positive=False,
            quarter=False,
            minimum=-180,
            maximum=180,
        ),
    }
    loc["state"] = _state(p, value.get("state"), loc["country"], ref)
    loc["postal_code"] = _postal_code(p, value.get("postal_code"), loc["country"])
    if p.has("location.lat") or p.has("location.lng"):
        pass  # already reported; "given together" would only repeat it
    elif (loc["lat"] is None) != (loc["lng"] is None):
        p.add(
            "location.lat" if loc["lat"] is None else "location.lng",
            "lat and lng must be given together",
        )
    elif loc["lat"] is None and loc["country"] == "US":
        _derive_coordinates(loc)
    return loc


def _country(p: Problems, value: object, ref: Reference) -> str | None:
    text = as_text(p, "location.country", value)
    if text is None:
        return None
    code = text.upper()
    code = ref.alpha3_to_alpha2.get(code, code)
    if code not in ref.countries:
        p.add("location.country", f"unknown country {text!r}; expected an ISO 3166-1 code")
        return None
    return code


def _state(p: Problems, value: object, country: str | None, ref: Reference) -> str | None:
    text = as_text(p, "location.state", value, required=False, max_len=64)
    if text is None:
        return None
    if country != "US":
        if not REGION.match(text):
            p.add("location.state", f"must be a region name or code ({REGION_HINT})")
            return None
        return text
    if text.upper() not in ref.us_states:
        p.add("location.state", f"unknown US state {text!r}; expected a 2-letter code")
        return None
    return text.upper()


def _postal_code(p: Problems, value: object, country: str | None) -> str | None:
    text = as_text(p, "location.postal_code", value, required=False, max_len=16)
    if text is not None and country == "US" and not US_ZIP.match(text):
        p.add("location.postal_code", "must be a US ZIP code (12345 or 12345-6789)")
        return None
    return text


def _derive_coordinates(loc: dict[str, Any]) -> None:
    places = gazetteer()
    place = places.find_zip(loc["postal_code"]) if loc["postal_code"] else None
    if place is None and loc["city"] and loc["state"]:
        place = places.find_city(loc["city"], loc["state"])
    if place is not None:
        loc["lat"], loc["lng"] = place.lat, place.lng


def _check_dates(p: Problems, out: dict[str, Any], ref: Reference) -> None:
    start, end = out["start_date"], out["end_date"]
    if start is None or end is None:
        return
    if end < start:
        p.add("end_date", f"must be on or after start_date ({start.isoformat()})")
        return
    kind = ref.activity_types.get(out["activity_type"] or "")
    if kind and kind.max_span_months and end > _add_months(start, kind.max_span_months):
        p.add(
            "end_date",
            f"{kind.label} activities span at most {kind.max_span_months} months; "
            "register a new activity after that",
        )


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def _registrations(
    p: Problems, value: object, out: dict[str, Any], ref: Reference, registered: Registered | None
) -> list[dict[str, Any]]:
    items = as_list(p, "moc", value)
    seen: dict[str, int] = {}
    result = []
    for i, item in enumerate(items):
        at = f"moc.{i}"
        if not isinstance(item, Mapping):
            p.add(at, "must be an object with board, points, credit_types and practice_areas")
            continue
        _unknown_fields(p, item, MOC_FIELDS, f"{at}.")
        board = _board(p, f"{at}.board", item.get("board"), out["start_date"], ref)
        if board is not None and board.code in seen:
            p.add(
                f"{at}.board",
                f"{board.code} appears more than once (first at moc.{seen[board.code]})",
            )
        elif board is not None:
            seen[board.code] = i
        result.append(_registration(p, at, item, board, out, registered))
    return result


def _board(p: Problems, at: str, value: object, start: date | None, ref: Reference) -> Board | None:
    code = as_text(p, at, value)
    if code is None:
        return None
    board = ref.find_board(code)
    if board is None:
        active = ", ".join(b.code for b in ref.active_boards())
        p.add(at, f"unknown board {code!r}; expected one of {active}")
    elif not board.active:
        p.add(at, f"{board.code} does not accept new MOC registrations")
    elif board.registrations_from and start and start < board.registrations_from:
        p.add(
            at,
            f"{board.code} registers only activities starting on or after "
            f"{board.registrations_from.isoformat()}",
        )
    else:
        return board
    return None


def _registration(
    p: Problems,
    at: str,
    item: Mapping[str, Any],
    board: Board | None,
    out: dict[str, Any],
    registered: Registered | None,
) -> dict[str, Any]:
    points = as_number(p, f"{at}.points", item.get("points"), maximum=MAX_CREDITS)
    _check_points(p, f"{at}.points", points, out["cme_credits"], board)
    claim = as_date(p, f"{at}.credit_claim_date", item.get("credit_claim_date"), required=False)
    if claim is not None and out["start_date"] is not None and claim < out["start_date"]:
        p.add(f"{at}.credit_claim_date", "must be on or after start_date")
    types = _board_codes(p, f"{at}.credit_types", item.get("credit_types"), board, _credit_type)
    if board is not None:
        _check_validity(p, f"{at}.credit_types", types, board, out["start_date"])
    new = board is not None and not _registered(registered, out["provider_activity_id"], board)
    return {
        "board": board.code if board else None,
        "points": points,
        "credit_types": board.with_implied(list(types)) if board else list(types),
        "practice_areas": list(
            _board_codes(
                p, f"{at}.practice_areas", item.get("practice_areas"), board, _practice_area
            )
        ),
        "credit_claim_date": claim,
        "content_outline": _content_outline(
            p, f"{at}.content_outline", item.get("content_outline"), board, new=new
        ),
    }


def _check_points(
    p: Problems, at: str, points: float | None, credits: float | None, board: Board | None
) -> None:
    """The board's points rule (research.json): equal to the credits, or at most them."""
    if points is None or credits is None or p.has(at):
        return
    rule = board.points.rule if board else "at_most"
    if (rule == "equal" and points != credits) or points > credits:
        message = board.points.message if board else "must not exceed cme_credits"
        where = f" for {board.code}" if board else ""
        p.add(at, f"{message} ({credits:g}){where}")


def _check_validity(
    p: Problems, at: str, types: dict[str, int], board: Board, start: date | None
) -> None:
    """A credit type is accepted only for activities inside its validity (ABPath SAM)."""
    for code, index in types.items():
        kind = board.credit_type(code)
        if kind and kind.valid_until and start and start > kind.valid_until:
            p.add(
                f"{at}.{index}",
                f"{code!r} is accepted by {board.code} only for activities starting on or "
                f"before {kind.valid_until.isoformat()}",
            )


def _registered(registered: Registered | None, key: str | None, board: Board) -> bool:
    return registered is not None and key is not None and registered(key, board.code)


def _content_outline(
    p: Problems, at: str, value: object, board: Board | None, *, new: bool
) -> list[str]:
    """Areas of the board's content outline: 1-2 for the ABA, none for boards without one."""
    items = as_list(p, at, value)
    outline = board.content_outline if board else None
    if board is None or p.has(at):
        return []
    if outline is None:
        if items:
            p.add(at, f"{board.code} has no content outline; leave it empty")
        return []
    found: list[str] = []
    for j, item in enumerate(items):
        code = outline.find(item) if isinstance(item, str) else None
        if code is None:
            p.add(f"{at}.{j}", f"{item!r} is not an area of the {outline.name}")
        elif code not in found:
            found.append(code)
    span = f"{outline.min}-{outline.max}" if outline.min != outline.max else f"{outline.min}"
    if len(found) > outline.max:
        p.add(at, f"must list at most {outline.max} areas of the {outline.name}")
    elif not items and (new or not outline.required_for_new_only):
        p.add(
            at, f"must list {span} areas of the {outline.name} for a new {board.code} registration"
        )
    return found


def _credit_type(board: Board, text: str) -> str | None:
    wanted = text.casefold()
    return next(
        (c.code for c in board.credit_types if wanted in (c.code.casefold(), c.label.casefold())),
        None,
    )


def _practice_area(board: Board, text: str) -> str | None:
    return board.find_practice_area(text)


def _meant(board: Board, text: str, what: str) -> str:
    """ "; did you mean ..." with the board's credit type or practice area closest to ``text``."""
    if what == "practice area":
        found = closest(text, board.practice_areas)
        return f"; did you mean {found!r}?" if found else ""
    by_name = {c.label: c for c in board.credit_types} | {c.code: c for c in board.credit_types}
    named = closest(text, by_name)
    if named is None:
        return ""
    kind = by_name[named]
    return f"; did you mean {kind.code!r} ({kind.label})?"


def _board_codes(
    p: Problems, at: str, value: object, board: Board | None, match: Any
) -> dict[str, int]:
    """Check a non-empty list of values that must each be valid for the registration's board.

    Returns each distinct code with the index it was first given at, in order.
    """
    items = as_list(p, at, value)
    if not items and value is not None and not p.has(at):
        p.add(at, "must list at least one value")
    elif value is None:
        p.add(at, "is required")
    what = "credit type" if at.endswith("credit_types") else "practice area"
    found: dict[str, int] = {}
    for j, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            p.add(f"{at}.{j}", f"must be a {what} name or code")
            continue
        if board is None:
            continue
        code = match(board, item.strip())
        if code is None:
            hint = _meant(board, item.strip(), what)
            p.add(f"{at}.{j}", f"{item.strip()!r} is not a {what} of {board.code}{hint}")
        else:
            found.setdefault(code, j)
    return found
