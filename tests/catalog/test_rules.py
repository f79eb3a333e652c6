"""Tests of catalog.rules.parse_activity against every Activity rule of api.md (no database)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.errors import FieldError, InvalidActivity
from catalog.rules import parse_activity
from catalog.schemas import ActivityIn, LocationIn, MocIn

MISSING: Any = object()
"""An override value that removes the key from the built record."""

ACTIVITY_TYPES = (
    "course, rss, enduring_material, journal_cme, manuscript_review, test_item_writing, "
    "committee_learning, performance_improvement, internet_searching_learning, "
    "learning_from_teaching, other"
)
ACTIVE_BOARDS = "ABA, ABIM, ABP, ABPATH, ABOHNS, ABS, ABTS, ABOS, ABPMR"
ID_HINT = "must be 1-64 of A-Z a-z 0-9 . _ -"
LISTED_REQUIRED = "is required when the activity is listed"
NOT_A_URL = "must be an absolute http or https URL"
BAD_DATE = "must be an ISO date (YYYY-MM-DD)"
NOT_AN_OBJECT = "must be an object with board, points, credit_types and practice_areas"


def _build(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **overrides}
    return {key: value for key, value in merged.items() if value is not MISSING}


def location(**overrides: Any) -> dict[str, Any]:
    """A valid US location (Philadelphia, PA 19107); MISSING removes a key."""
    defaults = {
        "venue": "Pennsylvania Convention Center",
        "city": "Philadelphia",
        "state": "PA",
        "postal_code": "19107",
        "country": "US",
    }
    return _build(defaults, overrides)


def abim(**overrides: Any) -> dict[str, Any]:
    """A valid ABIM registration for 6.5 points; MISSING removes a key."""
    defaults = {
        "board": "ABIM",
        "points": 6.5,
        "credit_types": ["MK"],
        "practice_areas": ["Cardiovascular Disease"],
    }
    return _build(defaults, overrides)


def abp(**overrides: Any) -> dict[str, Any]:
    """A valid ABP registration for 6.5 points; MISSING removes a key."""
    defaults = {
        "board": "ABP",
        "points": 6.5,
        "credit_types": ["LLSA"],
        "practice_areas": ["General Pediatrics"],
    }
    return _build(defaults, overrides)


def abs_(**overrides: Any) -> dict[str, Any]:
    """A valid ABS registration (accredited CME) for 6.5 credits; MISSING removes a key."""
    defaults = {
        "board": "ABS",
        "points": 6.5,
        "credit_types": ["CME"],
        "practice_areas": ["General Surgery"],
    }
    return _build(defaults, overrides)


def abpmr(**overrides: Any) -> dict[str, Any]:
    """A valid ABPMR registration (the board registers activities from 2025-01-01)."""
    defaults = {
        "board": "ABPMR",
        "points": 6.5,
        "credit_types": ["CME"],
        "practice_areas": ["Brain Injury Medicine"],
    }
    return _build(defaults, overrides)


def valid_record(**overrides: Any) -> dict[str, Any]:
    """A minimal valid, listed, in-person record with one ABIM registration."""
    defaults = {
        "provider_activity_id": "CARD-2026-01",
        "title": "Cardiology Update 2026",
        "activity_type": "course",
        "format": "in_person",
        "start_date": "2026-03-05",
        "end_date": "2026-03-07",
        "location": location(),
        "url": "https://example.org/cardiology-2026",
        "fee": "free",
        "cme_credits": 6.5,
        "moc": [abim()],
    }
    return _build(defaults, overrides)


def online_record(**overrides: Any) -> dict[str, Any]:
    """A valid online record (no location)."""
    return valid_record(**{"format": "online", "location": MISSING, **overrides})


def errors_of(raw: object) -> list[tuple[str, str]]:
    """Parse a record that must be rejected; return its (field, message) pairs in order."""
    with pytest.raises(InvalidActivity) as caught:
        parse_activity(raw)
    assert all(isinstance(e, FieldError) for e in caught.value.errors)
    return [(e.field, e.message) for e in caught.value.errors]


def attribute(obj: Any, path: str) -> Any:
    """Follow a dotted path (``moc.0.board``) through attributes and list indexes."""
    for part in path.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def test_parse_activity_valid_record() -> None:
    activity = parse_activity(valid_record())

    assert isinstance(activity, ActivityIn)
    assert activity.provider_activity_id == "CARD-2026-01"
    assert activity.activity_type == "course"
    assert activity.format == "in_person"
    assert activity.start_date == date(2026, 3, 5)
    assert activity.end_date == date(2026, 3, 7)
    assert activity.cme_credits == 6.5
    assert activity.listed is True
    assert activity.registration == "open"
    assert activity.fee == "free"
    assert activity.specialties == []
    assert activity.location is not None
    assert (activity.location.city, activity.location.state) == ("Philadelphia", "PA")
    assert (activity.location.postal_code, activity.location.country) == ("19107", "US")
    assert activity.moc == [
        MocIn(
            board="ABIM",
            points=6.5,
            credit_types=["MK"],
            practice_areas=["Cardiovascular Disease"],
        )
    ]


BAD_RECORDS = [
    # provider_activity_id: required; 1-64 of A-Z a-z 0-9 . _ -
    pytest.param(
        valid_record(provider_activity_id=MISSING),
        [("provider_activity_id", "is required")],
        id="provider_activity_id-missing",
    ),
    pytest.param(
        valid_record(provider_activity_id="   "),
        [("provider_activity_id", "is required")],
        id="provider_activity_id-blank",
    ),
    pytest.param(
        valid_record(provider_activity_id="CARD 2026/01"),
        [("provider_activity_id", ID_HINT)],
        id="provider_activity_id-pattern",
    ),
    pytest.param(
        valid_record(provider_activity_id="A" * 65),
        [("provider_activity_id", ID_HINT)],
        id="provider_activity_id-65-chars",
    ),
    pytest.param(
        valid_record(provider_activity_id=2026),
        [("provider_activity_id", "must be a string")],
        id="provider_activity_id-not-string",
    ),
    # title: required; 3-300 characters after trimming
    pytest.param(valid_record(title=MISSING), [("title", "is required")], id="title-missing"),
    pytest.param(
        valid_record(title="  ab  "),
        [("title", "must be at least 3 characters")],
        id="title-short-after-trim",
    ),
    pytest.param(
        valid_record(title="x" * 301),
        [("title", "must be at most 300 characters")],
        id="title-301-chars",
    ),
    pytest.param(valid_record(title=42), [("title", "must be a string")], id="title-not-string"),
    # description: at most 10,000 characters
    pytest.param(
        valid_record(description="x" * 10_001),
        [("description", "must be at most 10,000 characters")],
        id="description-10001-chars",
    ),
    # activity_type: required; a reference activity type or a legacy PARS code
    pytest.param(
        valid_record(activity_type=MISSING),
        [("activity_type", "is required")],
        id="activity_type-missing",
    ),
    pytest.param(
        valid_record(activity_type="webinar"),
        [("activity_type", f"unknown activity type 'webinar'; expected one of {ACTIVITY_TYPES}")],
        id="activity_type-unknown",
    ),
    # format: required; in_person | online | hybrid
    pytest.param(
        valid_record(format="virtual"),
        [("format", "must be one of: in_person, online, hybrid")],
        id="format-invalid",
    ),
    pytest.param(valid_record(format=MISSING), [("format", "is required")], id="format-missing"),
    pytest.param(
        online_record(activity_type="C", format=MISSING),
        [("format", "is required")],
        id="format-missing-legacy-code-implies-none",
    ),
    # start_date, end_date: required ISO dates; end_date >= start_date
    pytest.param(
        valid_record(start_date=MISSING),
        [("start_date", "is required")],
        id="start_date-missing",
    ),
    pytest.param(
        valid_record(end_date=MISSING), [("end_date", "is required")], id="end_date-missing"
    ),
    pytest.param(
        valid_record(start_date="2026-02-30"),
        [("start_date", BAD_DATE)],
        id="start_date-no-such-day",
    ),
    pytest.param(
        valid_record(end_date="03/05/2026"),
        [("end_date", BAD_DATE)],
        id="end_date-us-format",
    ),
    pytest.param(valid_record(end_date=20260307), [("end_date", BAD_DATE)], id="end_date-number"),
    pytest.param(
        valid_record(end_date="2026-03-04"),
        [("end_date", "must be on or after start_date (2026-03-05)")],
        id="end_date-before-start",
    ),
    pytest.param(
        valid_record(activity_type="rss", end_date="2027-03-06"),
        [
            (
                "end_date",
                "Regularly Scheduled Series activities span at most 12 months; "
                "register a new activity after that",
            )
        ],
        id="end_date-rss-over-12-months",
    ),
    pytest.param(
        online_record(activity_type="enduring_material", end_date="2029-03-06"),
        [
            (
                "end_date",
                "Enduring Material activities span at most 36 months; "
                "register a new activity after that",
            )
        ],
        id="end_date-enduring-over-36-months",
    ),
    pytest.param(
        online_record(activity_type="IEM", format=MISSING, end_date="2029-03-06"),
        [
            (
                "end_date",
                "Enduring Material activities span at most 36 months; "
                "register a new activity after that",
            )
        ],
        id="end_date-legacy-iem-over-36-months",
    ),
    # location: required for in_person and hybrid
    pytest.param(
        valid_record(location=MISSING),
        [("location", "is required when format is in_person")],
        id="location-missing-in-person",
    ),
    pytest.param(
        valid_record(format="hybrid", location=MISSING),
        [("location", "is required when format is hybrid")],
        id="location-missing-hybrid",
    ),
    pytest.param(
        valid_record(location={}),
        [("location", "is required when format is in_person")],
        id="location-empty-object-in-person",
    ),
    pytest.param(
        valid_record(location="Philadelphia, PA"),
        [("location", "must be an object with city and country")],
        id="location-not-object",
    ),
    pytest.param(
        valid_record(location=location(city=MISSING)),
        [("location.city", "is required")],
        id="location.city-missing",
    ),
    pytest.param(
        valid_record(location=location(country=MISSING)),
        [("location.country", "is required")],
        id="location.country-missing",
    ),
    pytest.param(
        valid_record(location=location(country="ZZ")),
        [("location.country", "unknown country 'ZZ'; expected an ISO 3166-1 code")],
        id="location.country-unknown",
    ),
    pytest.param(
        valid_record(location=location(state="XX")),
        [("location.state", "unknown US state 'XX'; expected a 2-letter code")],
        id="location.state-not-us-state",
    ),
    pytest.param(
        valid_record(location=location(postal_code="1910")),
        [("location.postal_code", "must be a US ZIP code (12345 or 12345-6789)")],
        id="location.postal_code-not-us-zip",
    ),
    pytest.param(
        valid_record(location=location(lat=39.95)),
        [("location.lng", "lat and lng must be given together")],
        id="location.lat-without-lng",
    ),
    pytest.param(
        valid_record(location=location(lng=-75.16)),
        [("location.lat", "lat and lng must be given together")],
        id="location.lng-without-lat",
    ),
    pytest.param(
        valid_record(location=location(room="Hall A")),
        [("location.room", "unknown field")],
        id="location-unknown-field",
    ),
    # url: absolute http/https; required when listed
    pytest.param(valid_record(url=MISSING), [("url", LISTED_REQUIRED)], id="url-missing-listed"),
    pytest.param(valid_record(url="ftp://x"), [("url", NOT_A_URL)], id="url-ftp"),
    pytest.param(valid_record(url="example.org/x"), [("url", NOT_A_URL)], id="url-relative"),
    pytest.param(
        valid_record(url="javascript:alert(1)"), [("url", NOT_A_URL)], id="url-javascript"
    ),
    pytest.param(valid_record(url="https://"), [("url", NOT_A_URL)], id="url-no-host"),
    pytest.param(valid_record(url="https://example.org/a b"), [("url", NOT_A_URL)], id="url-space"),
    pytest.param(
        valid_record(listed=False, url="ftp://x"),
        [("url", NOT_A_URL)],
        id="url-invalid-even-when-unlisted",
    ),
    # fee: yes | free | variable; required when listed
    pytest.param(valid_record(fee=MISSING), [("fee", LISTED_REQUIRED)], id="fee-missing-listed"),
    pytest.param(
        valid_record(fee="maybe"),
        [("fee", "must be one of: yes, free, variable")],
        id="fee-invalid",
    ),
    pytest.param(
        valid_record(listed="yes", url=MISSING, fee=MISSING),
        [("fee", LISTED_REQUIRED), ("url", LISTED_REQUIRED)],
        id="listed-yes-string-requires-url-and-fee",
    ),
    # cme_credits: required; > 0; a multiple of 0.25
    pytest.param(
        valid_record(cme_credits=MISSING),
        [("cme_credits", "is required")],
        id="cme_credits-missing",
    ),
    pytest.param(
        valid_record(cme_credits=0), [("cme_credits", "must be greater than 0")], id="cme_credits-0"
    ),
    pytest.param(
        valid_record(cme_credits=-1.5),
        [("cme_credits", "must be greater than 0")],
        id="cme_credits-negative",
    ),
    pytest.param(
        valid_record(cme_credits=1.3),
        [("cme_credits", "must be a multiple of 0.25")],
        id="cme_credits-not-quarter",
    ),
    pytest.param(
        valid_record(cme_credits="six"),
        [("cme_credits", "must be a number")],
        id="cme_credits-text",
    ),
    pytest.param(
        valid_record(cme_credits=True),
        [("cme_credits", "must be a number")],
        id="cme_credits-bool",
    ),
    pytest.param(
        valid_record(cme_credits=float("nan")),
        [("cme_credits", "must be a number")],
        id="cme_credits-nan",
    ),
    # specialties: reference specialties, each reported at its index
    pytest.param(
        valid_record(specialties=["internal_medicine", "cardiology"]),
        [("specialties.1", "unknown specialty 'cardiology'")],
        id="specialties.N-unknown",
    ),
    pytest.param(
        valid_record(specialties="internal_medicine"),
        [("specialties", "must be a list")],
        id="specialties-not-list",
    ),
    # moc: a list of objects
    pytest.param(valid_record(moc="ABIM"), [("moc", "must be a list")], id="moc-string"),
    pytest.param(valid_record(moc=abim()), [("moc", "must be a list")], id="moc-object"),
    pytest.param(
        valid_record(moc=[abim(), "ABP"]), [("moc.1", NOT_AN_OBJECT)], id="moc.N-not-object"
    ),
    pytest.param(
        valid_record(moc=[abim(fee="free")]),
        [("moc.0.fee", "unknown field")],
        id="moc.N-unknown-field",
    ),
    # moc.N.board: an active reference board, once per activity
    pytest.param(
        valid_record(moc=[abim(board=MISSING)]),
        [("moc.0.board", "is required")],
        id="moc.N.board-missing",
    ),
    pytest.param(
        valid_record(moc=[abim(board="ABX")]),
        [("moc.0.board", f"unknown board 'ABX'; expected one of {ACTIVE_BOARDS}")],
        id="moc.N.board-unknown",
    ),
    pytest.param(
        valid_record(moc=[abim(board="ABO", credit_types=["LL"], practice_areas=["Glaucoma"])]),
        [("moc.0.board", "ABO does not accept new MOC registrations")],
        id="moc.N.board-inactive",
    ),
    pytest.param(
        valid_record(moc=[abim(), abim(board="abim")]),
        [("moc.1.board", "ABIM appears more than once (first at moc.0)")],
        id="moc.N.board-twice",
    ),
    pytest.param(
        valid_record(
            start_date="2024-12-31",
            end_date="2025-01-02",
            moc=[abpmr()],
        ),
        [("moc.0.board", "ABPMR registers only activities starting on or after 2025-01-01")],
        id="moc.N.board-abpmr-before-2025",
    ),
    # moc.N.points: > 0, a multiple of 0.25, at most cme_credits
    pytest.param(
        valid_record(moc=[abim(points=MISSING)]),
        [("moc.0.points", "is required")],
        id="moc.N.points-missing",
    ),
    pytest.param(
        valid_record(moc=[abim(points=0)]),
        [("moc.0.points", "must be greater than 0")],
        id="moc.N.points-0",
    ),
    pytest.param(
        valid_record(moc=[abim(points=1.3)]),
        [("moc.0.points", "must be a multiple of 0.25")],
        id="moc.N.points-not-quarter",
    ),
    pytest.param(
        valid_record(moc=[abim(), abs_(points=6.75)]),
        [("moc.1.points", "must not exceed cme_credits (6.5) for ABS")],
        id="moc.N.points-over-cme_credits",
    ),
    # moc.N.credit_types: non-empty, each valid for that board
    pytest.param(
        valid_record(moc=[abim(credit_types=MISSING)]),
        [("moc.0.credit_types", "is required")],
        id="moc.N.credit_types-missing",
    ),
    pytest.param(
        valid_record(moc=[abim(credit_types=[])]),
        [("moc.0.credit_types", "must list at least one value")],
        id="moc.N.credit_types-empty",
    ),
    pytest.param(
        valid_record(moc=[abim(credit_types="MK")]),
        [("moc.0.credit_types", "must be a list")],
        id="moc.N.credit_types-not-list",
    ),
    pytest.param(
        valid_record(moc=[abim(), abp(credit_types=["LLSA", "PA"])]),
        [("moc.1.credit_types.1", "'PA' is not a credit type of ABP")],
        id="moc.N.credit_types.M-abim-type-on-abp",
    ),
    pytest.param(
        valid_record(moc=[abim(credit_types=["MK", 3])]),
        [("moc.0.credit_types.1", "must be a credit type name or code")],
        id="moc.N.credit_types.M-not-string",
    ),
    # moc.N.practice_areas: non-empty, each valid for that board
    pytest.param(
        valid_record(moc=[abim(practice_areas=MISSING)]),
        [("moc.0.practice_areas", "is required")],
        id="moc.N.practice_areas-missing",
    ),
    pytest.param(
        valid_record(moc=[abim(practice_areas=[])]),
        [("moc.0.practice_areas", "must list at least one value")],
        id="moc.N.practice_areas-empty",
    ),
    pytest.param(
        valid_record(moc=[abim(practice_areas=["Cardiovascular Disease", "General Pediatrics"])]),
        [("moc.0.practice_areas.1", "'General Pediatrics' is not a practice area of ABIM")],
        id="moc.N.practice_areas.M-other-board",
    ),
    # moc.N.credit_claim_date: an ISO date on or after start_date
    pytest.param(
        valid_record(moc=[abim(credit_claim_date="2026-03-04")]),
        [("moc.0.credit_claim_date", "must be on or after start_date")],
        id="moc.N.credit_claim_date-before-start",
    ),
    pytest.param(
        valid_record(moc=[abim(credit_claim_date="31/03/2027")]),
        [("moc.0.credit_claim_date", BAD_DATE)],
        id="moc.N.credit_claim_date-not-iso",
    ),
    # listed, registration
    pytest.param(
        valid_record(listed="maybe"),
        [("listed", "must be true or false")],
        id="listed-invalid",
    ),
    pytest.param(
        valid_record(registration="closed"),
        [("registration", "must be one of: open, limited")],
        id="registration-invalid",
    ),
    # unknown fields and non-object records
    pytest.param(
        valid_record(price=10, Title="x"),
        [("price", "unknown field"), ("Title", "unknown field")],
        id="unknown-top-level-fields",
    ),
    pytest.param(
        [valid_record()], [("", "an activity must be a JSON object")], id="record-is-list"
    ),
    pytest.param(
        "CARD-2026-01", [("", "an activity must be a JSON object")], id="record-is-string"
    ),
    pytest.param(None, [("", "an activity must be a JSON object")], id="record-is-null"),
]


@pytest.mark.parametrize(("record", "expected"), BAD_RECORDS)
def test_parse_activity_rejects_bad_record(record: object, expected: list[tuple[str, str]]) -> None:
    assert errors_of(record) == expected


ACCEPTED_RECORDS = [
    pytest.param(
        valid_record(provider_activity_id="a.B_9-" * 10 + "abcd"),
        {"provider_activity_id": "a.B_9-" * 10 + "abcd"},
        id="provider_activity_id-64-chars",
    ),
    pytest.param(
        valid_record(title="  Cardiology Update  "),
        {"title": "Cardiology Update"},
        id="title-trimmed",
    ),
    pytest.param(
        valid_record(activity_type="C"),
        {"activity_type": "course", "format": "in_person"},
        id="legacy-C-course",
    ),
    pytest.param(
        valid_record(activity_type="RSS"),
        {"activity_type": "rss", "format": "in_person"},
        id="legacy-RSS-rss",
    ),
    pytest.param(
        online_record(activity_type="EM"),
        {"activity_type": "enduring_material", "format": "online"},
        id="legacy-EM-enduring_material",
    ),
    pytest.param(
        online_record(activity_type="JN"),
        {"activity_type": "journal_cme"},
        id="legacy-JN-journal_cme",
    ),
    pytest.param(
        online_record(activity_type="IL", format=MISSING),
        {"activity_type": "course", "format": "online", "location": None},
        id="legacy-IL-course-online",
    ),
    pytest.param(
        online_record(activity_type="il", format=""),
        {"activity_type": "course", "format": "online"},
        id="legacy-il-lowercase-blank-format",
    ),
    pytest.param(
        online_record(activity_type="IEM", format=MISSING),
        {"activity_type": "enduring_material", "format": "online"},
        id="legacy-IEM-enduring_material-online",
    ),
    pytest.param(
        valid_record(activity_type="IL", format="hybrid"),
        {"activity_type": "course", "format": "hybrid"},
        id="legacy-IL-given-format-wins",
    ),
    pytest.param(valid_record(format="In-Person"), {"format": "in_person"}, id="format-alias"),
    pytest.param(
        valid_record(activity_type="rss", end_date="2027-03-05"),
        {"end_date": date(2027, 3, 5)},
        id="rss-exactly-12-months",
    ),
    pytest.param(
        online_record(activity_type="enduring_material", end_date="2029-03-05"),
        {"end_date": date(2029, 3, 5)},
        id="enduring-exactly-36-months",
    ),
    pytest.param(
        valid_record(start_date="2026-03-05", end_date="2026-03-05"),
        {"end_date": date(2026, 3, 5)},
        id="one-day-activity",
    ),
    pytest.param(online_record(), {"location": None}, id="online-without-location"),
    pytest.param(
        valid_record(location=location(country="USA")),
        {"location.country": "US"},
        id="location.country-alpha3",
    ),
    pytest.param(
        valid_record(location=location(country="us", state="pa")),
        {"location.country": "US", "location.state": "PA"},
        id="location-codes-upper-cased",
    ),
    pytest.param(
        valid_record(location=location(postal_code="19107-1234")),
        {"location.postal_code": "19107-1234"},
        id="location.postal_code-zip-plus-4",
    ),
    pytest.param(
        valid_record(location={"city": "Paris", "postal_code": "75001", "country": "FR"}),
        {"location.country": "FR", "location.postal_code": "75001", "location.lat": None},
        id="location-outside-us",
    ),
    pytest.param(
        valid_record(listed=False, url=MISSING, fee=MISSING),
        {"listed": False, "url": None, "fee": None},
        id="unlisted-needs-no-url-or-fee",
    ),
    pytest.param(
        valid_record(listed="no", url=MISSING, fee=MISSING),
        {"listed": False},
        id="listed-no-string",
    ),
    pytest.param(valid_record(listed="yes"), {"listed": True}, id="listed-yes-string"),
    pytest.param(valid_record(listed="FALSE", url=MISSING), {"listed": False}, id="listed-FALSE"),
    pytest.param(valid_record(fee="No, it's free"), {"fee": "free"}, id="fee-pars-free"),
    pytest.param(valid_record(fee="Yes"), {"fee": "yes"}, id="fee-pars-yes"),
    pytest.param(valid_record(fee="Variable"), {"fee": "variable"}, id="fee-pars-variable"),
    pytest.param(
        valid_record(registration="Open to all"),
        {"registration": "open"},
        id="registration-pars-open",
    ),
    pytest.param(
        valid_record(registration="Limited"),
        {"registration": "limited"},
        id="registration-pars-limited",
    ),
    pytest.param(valid_record(), {"registration": "open"}, id="registration-default-open"),
    pytest.param(
        valid_record(cme_credits="6.5"), {"cme_credits": 6.5}, id="cme_credits-numeric-string"
    ),
    pytest.param(
        valid_record(specialties=["internal_medicine", "Pediatrics", "internal_medicine"]),
        {"specialties": ["internal_medicine", "pediatrics"]},
        id="specialties-labels-and-duplicates",
    ),
    pytest.param(
        valid_record(moc=[abim(credit_types=["medical knowledge", "PS", "MK"])]),
        {"moc.0.credit_types": ["MK", "PS"]},
        id="moc-credit-type-label",
    ),
    pytest.param(
        valid_record(moc=[abim(practice_areas=["cardiovascular disease"])]),
        {"moc.0.practice_areas": ["Cardiovascular Disease"]},
        id="moc-practice-area-case",
    ),
    pytest.param(
        valid_record(
            moc=[abim(board="ABPath", credit_types=["LL"], practice_areas=["Surgical Pathology"])]
        ),
        {"moc.0.board": "ABPATH"},
        id="moc-board-display-code",
    ),
    pytest.param(
        valid_record(
            start_date="2025-01-01",
            end_date="2025-01-02",
            moc=[abpmr()],
        ),
        {"moc.0.board": "ABPMR"},
        id="moc-board-abpmr-from-2025",
    ),
    pytest.param(
        valid_record(moc=[abim(points=6.5, credit_claim_date="2026-03-05")]),
        {"moc.0.points": 6.5, "moc.0.credit_claim_date": date(2026, 3, 5)},
        id="moc-points-equal-credits-claim-on-start",
    ),
    pytest.param(valid_record(moc=[]), {"moc": []}, id="moc-empty-not-a-moc-activity"),
    pytest.param(
        valid_record(
            id="act_123",
            provider={"id": "p1", "name": "Penn CME"},
            created_at="2026-01-01T00:00:00Z",
            updated_at="not even a date",
        ),
        {"provider_activity_id": "CARD-2026-01"},
        id="read-only-fields-ignored",
    ),
]


@pytest.mark.parametrize(("record", "expected"), ACCEPTED_RECORDS)
def test_parse_activity_accepts_and_normalises(record: object, expected: dict[str, Any]) -> None:
    activity = parse_activity(record)

    assert {path: attribute(activity, path) for path in expected} == expected


@pytest.mark.parametrize(
    ("place", "lat", "lng"),
    [
        pytest.param(location(), 39.95, -75.16, id="from-postal-code"),
        pytest.param(location(postal_code=MISSING), 39.95, -75.16, id="from-city-and-state"),
        pytest.param(
            location(city="Chicago", state="IL", postal_code=MISSING),
            41.88,
            -87.63,
            id="from-city-chicago",
        ),
        pytest.param(
            location(city="Somewhere", state="CA", postal_code="10001"),
            40.75,
            -73.99,
            id="postal-code-wins-over-city",
        ),
        pytest.param(location(lat=1.5, lng=2.5), 1.5, 2.5, id="given-coordinates-kept"),
    ],
)
def test_parse_activity_location_coordinates(place: dict[str, Any], lat: float, lng: float) -> None:
    activity = parse_activity(valid_record(location=place))

    assert activity.location is not None
    assert activity.location.lat == pytest.approx(lat, abs=0.1)
    assert activity.location.lng == pytest.approx(lng, abs=0.1)


def test_parse_activity_location_coordinates_unknown_place() -> None:
    place = location(city="Nowhereville", state="PA", postal_code=MISSING)

    activity = parse_activity(valid_record(location=place))

    assert activity.location is not None
    assert (activity.location.lat, activity.location.lng) == (None, None)


def test_parse_activity_reports_every_problem_at_once() -> None:
    record = valid_record(
        title="ab",
        end_date="2026-02-30",
        location=location(state="XX"),
        fee="sometimes",
        colour="red",
        moc=[
            abim(practice_areas=["Cardiovascular Disease", "General Pediatrics"]),
            abp(credit_types=["PA"], points=0.3),
        ],
    )

    with pytest.raises(InvalidActivity) as caught:
        parse_activity(record)

    assert [e.as_dict() for e in caught.value.errors] == [
        {"field": "colour", "message": "unknown field"},
        {"field": "title", "message": "must be at least 3 characters"},
        {"field": "end_date", "message": BAD_DATE},
        {"field": "fee", "message": "must be one of: yes, free, variable"},
        {"field": "location.state", "message": "unknown US state 'XX'; expected a 2-letter code"},
        {
            "field": "moc.0.practice_areas.1",
            "message": "'General Pediatrics' is not a practice area of ABIM",
        },
        {"field": "moc.1.points", "message": "must be a multiple of 0.25"},
        {"field": "moc.1.credit_types.0", "message": "'PA' is not a credit type of ABP"},
    ]
    assert str(caught.value) == "8 problem(s) with this activity"


def test_parse_activity_reports_each_bad_index_of_a_list() -> None:
    record = valid_record(
        specialties=["cardiology", "internal_medicine", 7],
        moc=[abim(credit_types=["XX", "MK", "YY"])],
    )

    assert errors_of(record) == [
        ("specialties.0", "unknown specialty 'cardiology'"),
        ("specialties.2", "unknown specialty 7"),
        ("moc.0.credit_types.0", "'XX' is not a credit type of ABIM"),
        ("moc.0.credit_types.2", "'YY' is not a credit type of ABIM"),
    ]


# Former crashes and double reports, kept as regression tests.


@pytest.mark.parametrize("credits", [1e308, "1e308", 10**400], ids=["float", "string", "int"])
def test_parse_activity_huge_credits_is_a_field_error(credits: object) -> None:
    assert [field for field, _ in errors_of(valid_record(cme_credits=credits))] == ["cme_credits"]


def test_parse_activity_tiny_credits_is_a_field_error() -> None:
    assert [field for field, _ in errors_of(valid_record(cme_credits=1e-10, moc=[]))] == [
        "cme_credits"
    ]


def test_parse_activity_url_with_bad_ipv6_host_is_a_field_error() -> None:
    assert errors_of(valid_record(url="https://[::1/x")) == [("url", NOT_A_URL)]


def test_parse_activity_rss_starting_in_year_9999_is_a_field_error() -> None:
    record = valid_record(activity_type="rss", start_date="9999-06-01", end_date="9999-06-02")

    assert errors_of(record) == [
        ("start_date", "must be a date between 1990 and 2100"),
        ("end_date", "must be a date between 1990 and 2100"),
    ]


def test_parse_activity_bad_lat_reported_once() -> None:
    record = valid_record(location=location(lat="north", lng=-75.16))

    assert errors_of(record) == [("location.lat", "must be a number")]


def test_parse_activity_date_with_trailing_garbage_rejected() -> None:
    assert errors_of(valid_record(end_date="2026-03-07xyz")) == [("end_date", BAD_DATE)]


# Property: whatever JSON-like value comes in, the result is an ActivityIn or InvalidActivity.

TOP_LEVEL_FIELDS = frozenset(ActivityIn.model_fields)
FIELD_NAMES = sorted(
    TOP_LEVEL_FIELDS | set(LocationIn.model_fields) | set(MocIn.model_fields) | {"id", "provider"}
)
PLAUSIBLE_TEXT = [
    "ABIM", "ABP", "ABO", "ABPMR", "MK", "PA", "LLSA", "Cardiovascular Disease",
    "General Pediatrics", "internal_medicine", "course", "rss", "IL", "IEM", "in_person",
    "online", "hybrid", "2026-03-05", "2027-03-05", "2026-02-30", "US", "USA", "19107",
    "Philadelphia", "https://example.org/x", "ftp://x", "yes", "no", "No, it's free", "Limited",
]  # fmt: skip

keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=8)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(PLAUSIBLE_TEXT)
)
json_values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=8,
)


def assert_parses_or_reports(raw: dict[Any, Any]) -> None:
    """parse_activity returns an ActivityIn or raises InvalidActivity with well-formed errors."""
    try:
        activity = parse_activity(raw)
    except InvalidActivity as exc:
        errors = exc.errors
    else:
        assert isinstance(activity, ActivityIn)
        return
    assert errors
    input_keys = {str(k) for k in raw}
    for error in errors:
        assert isinstance(error, FieldError)
        assert error.message.strip()
        head, _, rest = error.field.partition(".")
        assert error.field == "" or error.field in input_keys or head in TOP_LEVEL_FIELDS
        if head in {"moc", "specialties"} and rest:
            assert rest.split(".")[0].isdigit(), error.field


@settings(max_examples=300, deadline=None, database=None)
@given(st.dictionaries(keys, json_values, max_size=10))
def test_parse_activity_arbitrary_dict_never_crashes(raw: dict[str, Any]) -> None:
    assert_parses_or_reports(raw)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.dictionaries(st.sampled_from(sorted(TOP_LEVEL_FIELDS)), json_values, max_size=3),
    st.dictionaries(st.sampled_from(sorted(MocIn.model_fields)), json_values, max_size=2),
    st.dictionaries(st.sampled_from(sorted(LocationIn.model_fields)), json_values, max_size=2),
)
def test_parse_activity_mutated_valid_record_never_crashes(
    top: dict[str, Any], moc: dict[str, Any], place: dict[str, Any]
) -> None:
    raw = valid_record(**{"moc": [abim(**moc)], "location": location(**place), **top})
    assert_parses_or_reports(raw)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"title": "abc\x00def"},
            ("title", "must be one line, without control characters"),
            id="nul-in-title",
        ),
        pytest.param(
            {"cme_credits": "1_0"}, ("cme_credits", "must be a number"), id="python-number-syntax"
        ),
        pytest.param(
            {"url": "https://example.org:99999/x"},
            ("url", "must be an absolute http or https URL"),
            id="port-out-of-range",
        ),
        pytest.param(
            {"start_date": "1899-01-01"},
            ("start_date", "must be a date between 1990 and 2100"),
            id="year-too-early",
        ),
        # A lone CR starts a new line in lenient .ics and CSV readers: single-line fields
        # take no line break (nor any other control character, tab included).
        *[
            pytest.param(
                overrides,
                (field, "must be one line, without control characters"),
                id=f"{name}-in-{field}",
            )
            for field, overrides_of in [
                ("title", lambda text: {"title": text}),
                ("location.venue", lambda text: {"location": location(venue=text)}),
                ("location.city", lambda text: {"location": location(city=text)}),
                (
                    "joint_providers.0",
                    lambda text: {"providership": "joint", "joint_providers": [text]},
                ),
            ]  # fmt: skip
            for name, overrides in [
                (name, overrides_of(f"Heart{char}BEGIN:VEVENT"))
                for name, char in [
                    ("cr", "\r"),
                    ("lf", "\n"),
                    ("crlf", "\r\n"),
                    ("tab", "\t"),
                    ("nel", "\x85"),
                    ("line-separator", "\u2028"),
                    ("c1", "\x9b"),
                ]  # fmt: skip
            ]
        ],
        pytest.param(
            {"url": "https://user:secret@example.org/register"},
            ("url", "must not hold a user name or password (user:password@)"),
            id="url-with-credentials",
        ),
        pytest.param(
            {"url": "https://user@example.org/register"},
            ("url", "must not hold a user name or password (user:password@)"),
            id="url-with-user-name",
        ),
        pytest.param(
            {"location": location(country="CA", state="+SUM(1)", postal_code=None)},
            ("location.state", "must be a region name or code (letters, digits, spaces, . ' -)"),
            id="non-us-state-formula",
        ),
    ],
)
def test_parse_activity_hardening_cases(
    overrides: dict[str, object], expected: tuple[str, str]
) -> None:
    assert errors_of(valid_record(**overrides))[:1] == [expected]


@pytest.mark.parametrize("state", ["ON", "Ontario", "Île-de-France", "St. John's", "NSW"])
def test_parse_activity_accepts_a_region_outside_the_us(state: str) -> None:
    raw = valid_record(location=location(country="CA", state=state, postal_code=None))
    loc = parse_activity(raw).location
    assert loc is not None
    assert loc.state == state


def test_parse_activity_description_refuses_other_control_characters() -> None:
    assert errors_of(valid_record(description="Bell\x07")) == [
        ("description", "must not contain control characters")
    ]


def test_parse_activity_description_keeps_newlines() -> None:
    assert parse_activity(valid_record(description="Line one\nLine two\ttab")).description == (
        "Line one\nLine two\ttab"
    )


SURROGATE = "must be valid Unicode text: it holds \\ud800, a lone UTF-16 surrogate (the text was "
SURROGATE += "encoded or escaped wrongly)"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(valid_record(title="Cardiology \ud800 Update"), [("title", SURROGATE)],
                     id="title"),
        pytest.param(valid_record(moc=[abim(credit_types=["MK", "\ud800"])]),
                     [("moc.0.credit_types.1", SURROGATE)], id="list-item"),
        pytest.param(valid_record(location=location(city="\udfffBoston")),
                     [("location.city", SURROGATE.replace("ud800", "udfff"))], id="nested"),
        pytest.param(valid_record(**{"\ud800": 1}),
                     [("\\ud800", SURROGATE)], id="key"),
    ],
)  # fmt: skip
def test_parse_activity_lone_surrogate_is_a_field_error(
    raw: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    """JSON may escape half a UTF-16 pair ("\\ud800"); no database or response can encode it.
    It was a 500 (pydantic refused it after every rule had passed); now it is named first."""
    assert errors_of(raw) == expected
