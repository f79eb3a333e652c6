"""Issue 14: the boards' rules and the PARS fields, one test per rule with its exact field path
and message (catalog.rules against catalog/data/research.json; no database)."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.errors import InvalidActivity, InvalidInput
from catalog.providers import parse_accreditor
from catalog.reference import reference
from catalog.rules import parse_activity
from tests.catalog.test_rules import MISSING, _build, abim, abp, errors_of, valid_record

OUTLINE = "ABA MOCA content outline"


def aba(**overrides: Any) -> dict[str, Any]:
    """A valid new ABA registration for 6.5 credits, with one content outline area."""
    defaults = {
        "board": "ABA",
        "points": 6.5,
        "credit_types": ["LL"],
        "practice_areas": ["Regional Anesthesia/Acute Pain"],
        "content_outline": ["Regional Anesthesia"],
    }
    return _build(defaults, overrides)


def board(code: str, types: list[str], area: str, **overrides: Any) -> dict[str, Any]:
    defaults = {"board": code, "points": 6.5, "credit_types": types, "practice_areas": [area]}
    return _build(defaults, overrides)


def never_registered(_key: str, _board: str) -> bool:
    return False


def always_registered(_key: str, _board: str) -> bool:
    return True


# -- points: equal to the credits for ABA and ABP, at most the credits elsewhere --------------


def test_aba_points_must_equal_the_credits() -> None:
    record = valid_record(cme_credits=5, moc=[aba(points=4)])
    assert errors_of(record) == [("moc.0.points", "must equal cme_credits (5) for ABA")]


def test_abp_points_must_equal_the_credits() -> None:
    record = valid_record(cme_credits=5, moc=[abp(points=4.5)])
    assert errors_of(record) == [("moc.0.points", "must equal cme_credits (5) for ABP")]


def test_other_boards_points_must_not_exceed_the_credits() -> None:
    record = valid_record(cme_credits=5, moc=[abim(points=5.25)])
    assert errors_of(record) == [("moc.0.points", "must not exceed cme_credits (5) for ABIM")]


@pytest.mark.parametrize(
    "registration",
    [
        pytest.param(abim(points=2), id="abim-fewer"),
        pytest.param(board("ABS", ["CME"], "General Surgery", points=2), id="abs-fewer"),
        pytest.param(board("ABPATH", ["LL"], "Cytopathology", points=2), id="abpath-fewer"),
    ],
)
def test_boards_without_a_confirmed_equality_accept_fewer_points(
    registration: dict[str, Any],
) -> None:
    """ABIM may give fewer points than credits (ACCME FAQ 7922); for ABS, ABPath and others
    1:1 is unconfirmed, so no equality is enforced on them."""
    activity = parse_activity(valid_record(cme_credits=5, moc=[registration]))
    assert activity.moc[0].points == 2


def test_points_rules_come_from_the_research_data_with_sources() -> None:
    boards = reference().boards
    assert {code: b.points.rule for code, b in boards.items() if b.points.rule == "equal"} == {
        "ABA": "equal",
        "ABP": "equal",
    }
    assert boards["ABA"].points.sources[0].url == "https://accme.org/faq/8079"
    assert boards["ABP"].points.sources[0].url == "http://accme.org/faq/8080"
    # The shared file's unconfirmed "equal" default for ABS, ABPath ... is not a rule here.
    assert boards["ABS"].points.status == "unconfirmed"


# -- credit types: validity dates (ABPath SAM ended 2020-12-31) ----------------------------------


def test_abpath_sam_is_refused_for_activities_starting_after_2020() -> None:
    record = valid_record(
        start_date="2021-01-04",
        end_date="2021-01-05",
        moc=[board("ABPath", ["LL", "SAM"], "Cytopathology")],
    )
    assert errors_of(record) == [
        (
            "moc.0.credit_types.1",
            "'SAM' is accepted by ABPATH only for activities starting on or before 2020-12-31",
        )
    ]


def test_abpath_sam_is_accepted_for_an_activity_of_2020() -> None:
    record = valid_record(
        start_date="2020-06-01",
        end_date="2021-05-31",
        activity_type="enduring_material",
        format="online",
        location=MISSING,
        moc=[board("ABPATH", ["SAM"], "Cytopathology")],
    )
    assert parse_activity(record).moc[0].credit_types == ["LL", "SAM"]


# -- narrower types imply the board's general accredited-CME type, added when missing ---------


@pytest.mark.parametrize(
    ("registration", "expected"),
    [
        pytest.param(board("ABS", ["SA"], "General Surgery"), ["CME", "SA"], id="abs-sa"),
        pytest.param(aba(credit_types=["PS"]), ["LL", "PS"], id="aba-patient-safety"),
        pytest.param(board("ABOHNS", ["SA", "PS"], "Rhinology"), ["LL", "SA", "PS"], id="abohns"),
        pytest.param(aba(credit_types=["PS", "LL"]), ["PS", "LL"], id="already-there-kept"),
        pytest.param(abim(credit_types=["PS"]), ["PS"], id="abim-has-no-general-type"),
        pytest.param(abp(), ["LLSA"], id="abp-has-no-general-type"),
        pytest.param(board("ABPATH", ["IMP"], "Cytopathology"), ["IMP"], id="improvement-not"),
    ],
)
def test_narrower_credit_types_imply_the_general_type(
    registration: dict[str, Any], expected: list[str]
) -> None:
    activity = parse_activity(valid_record(moc=[registration]))
    assert activity.moc[0].credit_types == expected


# -- the ABA content outline: 1-2 areas, required for new ABA registrations -----------------


def test_a_new_aba_registration_needs_a_content_outline_area() -> None:
    record = valid_record(moc=[aba(content_outline=MISSING)])
    message = f"must list 1-2 areas of the {OUTLINE} for a new ABA registration"
    assert errors_of(record) == [("moc.0.content_outline", message)]
    with pytest.raises(InvalidActivity) as caught:
        parse_activity(record, registered=never_registered)
    assert [e.as_dict() for e in caught.value.errors] == [
        {"field": "moc.0.content_outline", "message": message}
    ]


def test_an_aba_registration_already_in_the_catalog_may_keep_no_outline() -> None:
    """The outline's codes are unconfirmed, so data registered before keeps working."""
    record = valid_record(moc=[aba(content_outline=MISSING)])
    assert parse_activity(record, registered=always_registered).moc[0].content_outline == []


def test_at_most_two_content_outline_areas() -> None:
    areas = ["Anatomy", "Pharmacology", "Regional Anesthesia"]
    record = valid_record(moc=[aba(content_outline=areas)])
    assert errors_of(record) == [
        ("moc.0.content_outline", f"must list at most 2 areas of the {OUTLINE}")
    ]


def test_an_unknown_content_outline_area_is_named() -> None:
    record = valid_record(moc=[aba(content_outline=["Regional Anesthesia", "Astrology"])])
    assert errors_of(record) == [
        ("moc.0.content_outline.1", f"'Astrology' is not an area of the {OUTLINE}")
    ]


def test_content_outline_areas_by_name_or_section_number() -> None:
    record = valid_record(moc=[aba(content_outline=["regional anesthesia", "I.C.3"])])
    assert parse_activity(record).moc[0].content_outline == [
        "Regional Anesthesia",
        "Cardiovascular System",
    ]


def test_a_board_without_an_outline_takes_no_areas() -> None:
    record = valid_record(moc=[abim(content_outline=["Anatomy"])])
    assert errors_of(record) == [
        ("moc.0.content_outline", "ABIM has no content outline; leave it empty")
    ]


# -- the PARS fields ------------------------------------------------------------------------------


def test_accme_activity_id_is_digits() -> None:
    assert errors_of(valid_record(accme_activity_id="12ab")) == [
        ("accme_activity_id", "must be 1-12 digits (the activity ID PARS assigns)")
    ]
    assert errors_of(valid_record(accme_activity_id="1234567890123")) == [
        ("accme_activity_id", "must be 1-12 digits (the activity ID PARS assigns)")
    ]
    assert parse_activity(valid_record(accme_activity_id=200000001)).accme_activity_id == (
        "200000001"
    )


def test_providership_is_direct_or_joint() -> None:
    assert errors_of(valid_record(providership="sometimes")) == [
        ("providership", "must be one of: direct, joint")
    ]
    assert parse_activity(valid_record()).providership == "direct"


def test_joint_providership_needs_the_joint_providers() -> None:
    assert errors_of(valid_record(providership="joint")) == [
        ("joint_providers", "is required when providership is joint (1-10 names)")
    ]


def test_direct_providership_has_no_joint_providers() -> None:
    assert errors_of(valid_record(joint_providers=["Boston Medical Society"])) == [
        ("joint_providers", "must be empty when providership is direct")
    ]


def test_at_most_ten_joint_providers_each_named() -> None:
    names = [f"Partner {n}" for n in range(11)]
    assert errors_of(valid_record(providership="joint", joint_providers=names)) == [
        ("joint_providers", "must list at most 10 names")
    ]
    assert errors_of(valid_record(providership="Joint", joint_providers=["A Partner", " "])) == [
        ("joint_providers.1", "is required")
    ]
    activity = parse_activity(
        valid_record(providership="Joint", joint_providers=["Boston Medical Society"] * 2)
    )
    assert (activity.providership, activity.joint_providers) == (
        "joint",
        ["Boston Medical Society"],
    )


def test_commercial_support_names_each_supporter_and_kind() -> None:
    record = valid_record(
        commercial_support=[
            {"name": "Example Pharma", "kind": "grant"},
            {"kind": "monetary"},
            "Example Devices",
            {"name": "Example Devices", "kind": "in kind", "amount": 5},
        ]
    )
    assert errors_of(record) == [
        ("commercial_support.0.kind", "must be one of: monetary, in_kind"),
        ("commercial_support.1.name", "is required"),
        ("commercial_support.2", "must be an object with name and kind"),
        ("commercial_support.3.amount", "unknown field"),
    ]
    supported = parse_activity(
        valid_record(commercial_support=[{"name": "Example Devices", "kind": "In-Kind"}])
    )
    assert [s.model_dump() for s in supported.commercial_support] == [
        {"name": "Example Devices", "kind": "in_kind"}
    ]


def test_rems_and_mips_are_flags() -> None:
    assert errors_of(valid_record(rems="maybe", mips="often")) == [
        ("rems", "must be true or false"),
        ("mips", "must be true or false"),
    ]
    activity = parse_activity(valid_record(rems="yes", mips=True))
    assert (activity.rems, activity.mips) == (True, True)


def test_topics_are_reference_codes_or_names() -> None:
    assert errors_of(valid_record(topics=["controlled_substances", "astrology"])) == [
        ("topics.1", "unknown topic 'astrology'")
    ]
    activity = parse_activity(
        valid_record(topics=["Implicit bias and cultural competency", "opioid prescribing"])
    )
    assert activity.topics == ["implicit_bias", "controlled_substances"]


def test_every_topic_has_a_label_and_a_source() -> None:
    topics = reference().topics
    assert {
        "controlled_substances", "pain_management", "implicit_bias", "end_of_life_care",
        "human_trafficking", "domestic_violence", "child_abuse", "infection_control",
        "medical_ethics", "risk_management", "suicide_prevention",
    } <= set(topics)  # fmt: skip
    assert all(t.label and t.sources and all(s.url for s in t.sources) for t in topics.values())


@pytest.mark.parametrize(
    ("given", "stored"),
    [("ACCME", "ACCME"), ("ja", "JA"), ("state:ny", "state:NY"), (" State:TX ", "state:TX")],
)
def test_accreditor_values(given: str, stored: str) -> None:
    assert parse_accreditor(given) == stored


@pytest.mark.parametrize("given", ["AMA", "state:XX", "state:", "ACCME,JA"])
def test_accreditor_unknown(given: str) -> None:
    message = "accreditor must be ACCME, JA (Joint Accreditation) or state:XX"
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_accreditor(given)
