"""Text written from structured data: MOC statements, the accreditation and disclosure block,
schema.org JSON-LD, iCalendar.

Statement wording is data (catalog/data/research.json): the board's own words where they were
found ("verbatim"), else text the catalog generates from the confirmed gist ("generated"),
which the page labels as such.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from catalog.providers import accreditor_parts
from catalog.reference import Reference, Source
from catalog.schemas import ActivityOut


@dataclass(frozen=True)
class Statement:
    """One board's MOC statement for one registration, with where its wording comes from."""

    board: str  # the board's name
    text: str
    wording: str  # "verbatim" (the board's words) or "generated" (the catalog's)
    sources: tuple[Source, ...]


def moc_statements(activity: ActivityOut, ref: Reference) -> list[Statement]:
    """The statement of each registration whose board prescribes one (research.json)."""
    out = []
    for reg in activity.moc:
        board = ref.boards[reg.board]
        rule = board.statement
        kinds = {c.kind for code in reg.credit_types if (c := board.credit_type(code))}
        if rule is None or (rule.applies_to != "all" and rule.applies_to not in kinds):
            continue  # the ABA prescribes a statement for patient-safety activities only
        template = rule.template
        labels = [c.label if (c := board.credit_type(code)) else code for code in reg.credit_types]
        text = template.text.format(
            points=f"{reg.points:g}",
            unit=board.unit.one if reg.points == 1 else board.unit.many,
            credit_types=" and ".join(labels),
            board=board.name,
            code=board.display_code,
            program=board.program,
            evaluation=template.evaluation if kinds & set(template.evaluation_kinds) else "",
        )
        out.append(Statement(board.name, text, template.wording, template.sources))
    return out


@dataclass(frozen=True)
class Accreditation:
    """The accreditation and disclosure block of an activity page (all generated text)."""

    body: str  # the accrediting body's name
    statement: str
    designation: str
    joint_providers: list[str]
    support: str  # "No commercial support was reported ..." or the introduction of the list
    supporters: list[str]  # "Example Pharma (educational grant)"
    sources: tuple[Source, ...]


def accreditation(activity: ActivityOut, accreditor: str, ref: Reference) -> Accreditation:
    """Accreditation, AMA designation and commercial-support wording from the structured data.

    The statements follow the patterns ACCME and accredited providers publish, filled from the
    provider's accrediting body; the page labels them generated, not the provider's own.
    """
    kind, state = accreditor_parts(accreditor)
    wording = ref.accreditation[kind]
    names = {"provider": activity.provider.name, "state": ref.us_states.get(state or "", "")}
    names["partners"] = " and ".join(activity.joint_providers)
    template = wording.joint if activity.providership == "joint" else wording.direct
    disclosure = ref.disclosure
    kinds = disclosure.support_kinds
    return Accreditation(
        body=accreditation_body(accreditor, ref),
        statement=template.format(**names),
        designation=disclosure.designation.format(
            provider=activity.provider.name,
            kind=_designated_as(activity, ref),
            credits=f"{activity.cme_credits:g}",
            credit_word="Credit" if activity.cme_credits == 1 else "Credits",
        ),
        joint_providers=list(activity.joint_providers),
        support=disclosure.support_some if activity.commercial_support else disclosure.support_none,
        supporters=[f"{s.name} ({kinds[s.kind]})" for s in activity.commercial_support],
        sources=wording.sources + disclosure.sources,
    )


def accreditation_body(accreditor: str, ref: Reference) -> str:
    """The name of a provider's accrediting body, for its page."""
    kind, state = accreditor_parts(accreditor)
    return ref.accreditation[kind].name.format(state=ref.us_states.get(state or "", ""))


def _designated_as(activity: ActivityOut, ref: Reference) -> str:
    """What the designation statement calls the activity: live activity, enduring material..."""
    kinds = ref.disclosure.designation_kinds
    kind = ref.activity_types.get(activity.activity_type)
    if activity.activity_type in kinds:
        return kinds[activity.activity_type]
    return kinds["live"] if kind and kind.live else kinds["other"]


def json_ld(activity: ActivityOut, *, live: bool, page_url: str) -> str:
    """schema.org description, safe to place inside a <script> element."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "EducationEvent" if live else "Course",
        "name": activity.title,
        "description": activity.description or activity.title,
        "url": page_url,
        "provider": {"@type": "Organization", "name": activity.provider.name},
    }
    if live:
        data |= {
            "startDate": activity.start_date.isoformat(),
            "endDate": activity.end_date.isoformat(),
        }
        data["eventAttendanceMode"] = {
            "in_person": "https://schema.org/OfflineEventAttendanceMode",
            "online": "https://schema.org/OnlineEventAttendanceMode",
            "hybrid": "https://schema.org/MixedEventAttendanceMode",
        }[activity.format]
        if activity.location:
            loc = activity.location
            data["location"] = {
                "@type": "Place",
                "name": loc.venue or loc.city,
                "address": {
                    "@type": "PostalAddress",
                    "addressLocality": loc.city,
                    "addressRegion": loc.state,
                    "postalCode": loc.postal_code,
                    "addressCountry": loc.country,
                },
            }
    if activity.fee == "free":
        data["isAccessibleForFree"] = True
    # "</script>" inside a string must not end the element.
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


# Every kind of line break, a lone CR included: each becomes the escaped \n of RFC 5545
# 3.3.11, so no text, however old, can start a line (a forged BEGIN:VEVENT) in any reader.
ICS_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# The other controls are not iCalendar TEXT (only HTAB is): dropped.
ICS_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def _ics_text(value: str) -> str:
    value = ICS_CONTROL.sub("", value)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return ICS_LINE_BREAK.sub(r"\\n", value)


def ics(activity: ActivityOut, *, page_url: str, now: datetime) -> str:
    """An all-day iCalendar event over the activity's dates (RFC 5545, CRLF lines)."""
    location = ""
    if activity.location:
        loc = activity.location
        location = ", ".join(p for p in (loc.venue, loc.city, loc.state, loc.country) if p)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//MOC Catalog//EN",
        "BEGIN:VEVENT",
        f"UID:{activity.id}@moc-catalog",
        f"DTSTAMP:{now.strftime('%Y%m%dT%H%M%SZ')}",
        f"DTSTART;VALUE=DATE:{activity.start_date.strftime('%Y%m%d')}",
        f"DTEND;VALUE=DATE:{(activity.end_date + timedelta(days=1)).strftime('%Y%m%d')}",
        f"SUMMARY:{_ics_text(activity.title)}",
        f"URL:{page_url}",
    ]
    if location:
        lines.append(f"LOCATION:{_ics_text(location)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(_fold(line) + "\r\n" for line in lines)


def _fold(line: str) -> str:
    """Fold a content line longer than 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # a continuation line starts with one space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)
