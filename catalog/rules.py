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
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from catalog.errors import FieldError, InvalidActivity
from catalog.fields import Problems, as_bool, as_choice, as_date, as_list, as_number, as_text
from catalog.geo import gazetteer
from catalog.hints import closest
from catalog.reference import Board, Reference, reference
from catalog.schemas import ActivityIn, LocationIn, MocIn

PROVIDER_ACTIVITY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
WHITESPACE = re.compile(r"\s")
MAX_CREDITS = 1000.0
# Fields the catalog adds; a record exported by us may carry them back in, and they are ignored.
READ_ONLY_FIELDS = frozenset({"id", "provider", "created_at", "updated_at"})
ACTIVITY_FIELDS = frozenset(ActivityIn.model_fields)
LOCATION_FIELDS = frozenset(LocationIn.model_fields)
MOC_FIELDS = frozenset(MocIn.model_fields)
FEE_LABELS = {"yes": "yes", "no, it's free": "free", "no": "free", "free": "free"}
REGISTRATION_LABELS = {"open to all": "open", "open": "open", "limited": "limited"}


def parse_activity(raw: object) -> ActivityIn:
    """Check a raw record against every rule; return it normalised or raise InvalidActivity."""
    problems = Problems()
    if not isinstance(raw, Mapping):
        raise InvalidActivity([FieldError("", "an activity must be a JSON object")])
    out = _activity_fields(problems, raw, reference())
    if problems:
        raise InvalidActivity(problems.errors)
    return ActivityIn.model_validate(out)


def _unknown_fields(p: Problems, raw: Mapping[str, Any], known: frozenset[str], at: str) -> None:
    for name in raw:
        if name not in known and name not in READ_ONLY_FIELDS | {""}:
            p.add(f"{at}{name}", "unknown field")


def _activity_fields(p: Problems, raw: Mapping[str, Any], ref: Reference) -> dict[str, Any]:
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
            p, "description", raw.get("description"), required=False, max_len=10_000
        ),
        "start_date": as_date(p, "start_date", raw.get("start_date")),
        "end_date": as_date(p, "end_date", raw.get("end_date")),
        "cme_credits": as_number(p, "cme_credits", raw.get("cme_credits"), maximum=MAX_CREDITS),
        "listed": as_bool(p, "listed", raw.get("listed"), default=True),
        "registration": as_choice(
            p, "registration", raw.get("registration"), REGISTRATION_LABELS, default="open"
        ),
        "specialties": _specialties(p, raw.get("specialties"), ref),
    }
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
    out["moc"] = _registrations(p, raw.get("moc"), out, ref)
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


def _specialties(p: Problems, value: object, ref: Reference) -> list[str]:
    items = as_list(p, "specialties", value)
    by_label = ref.specialty_by_label
    found: list[str] = []
    for i, item in enumerate(items):
        text = str(item).strip() if isinstance(item, str) else None
        code = text if text in ref.specialties else by_label.get((text or "").casefold())
        if code is None:
            p.add(f"specialties.{i}", f"unknown specialty {item!r}")
        elif code not in found:
            found.append(code)
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
    if text is None or country != "US":
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
    p: Problems, value: object, out: dict[str, Any], ref: Reference
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
        result.append(_registration(p, at, item, board, out))
    return result


def _board(p: Problems, at: str, value: object, start: date | None, ref: Reference) -> Board | None:
    code = as_text(p, at, value)
    if code is None:
        return None
    board = ref.boards.get(code.upper()) or next(
        (b for b in ref.boards.values() if b.display_code.upper() == code.upper()), None
    )
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
    p: Problems, at: str, item: Mapping[str, Any], board: Board | None, out: dict[str, Any]
) -> dict[str, Any]:
    points = as_number(p, f"{at}.points", item.get("points"), maximum=MAX_CREDITS)
    credits = out["cme_credits"]
    if points is not None and credits is not None and points > credits:
        p.add(f"{at}.points", f"must not exceed cme_credits ({credits:g})")
    claim = as_date(p, f"{at}.credit_claim_date", item.get("credit_claim_date"), required=False)
    if claim is not None and out["start_date"] is not None and claim < out["start_date"]:
        p.add(f"{at}.credit_claim_date", "must be on or after start_date")
    return {
        "board": board.code if board else None,
        "points": points,
        "credit_types": _board_codes(
            p, f"{at}.credit_types", item.get("credit_types"), board, _credit_type
        ),
        "practice_areas": _board_codes(
            p, f"{at}.practice_areas", item.get("practice_areas"), board, _practice_area
        ),
        "credit_claim_date": claim,
    }


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


def _board_codes(p: Problems, at: str, value: object, board: Board | None, match: Any) -> list[str]:
    """Check a non-empty list of values that must each be valid for the registration's board."""
    items = as_list(p, at, value)
    if not items and value is not None and not p.has(at):
        p.add(at, "must list at least one value")
    elif value is None:
        p.add(at, "is required")
    what = "credit type" if at.endswith("credit_types") else "practice area"
    found: list[str] = []
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
        elif code not in found:
            found.append(code)
    return found
