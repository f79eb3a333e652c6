"""Text generated from structured registrations: MOC statements, schema.org JSON-LD, iCalendar."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from catalog.reference import Reference
from catalog.schemas import ActivityOut

# ABIM's statement is prescribed word for word (domain.md, ABIM section).
ABIM_STATEMENT = (
    "Successful completion of this CME activity, which includes participation in the "
    "evaluation component, enables the participant to earn up to {points} MOC points in the "
    "American Board of Internal Medicine's (ABIM) Maintenance of Certification (MOC) program. "
    "It is the CME activity provider's responsibility to submit participant completion "
    "information to ACCME for the purpose of granting ABIM MOC credit."
)
GENERIC_STATEMENT = (
    "Successful completion of this CME activity, which includes participation in the "
    "evaluation component, enables the learner to earn up to {points} points of {credits} "
    "credit in the {board}'s {program}. It is the CME activity provider's responsibility to "
    "submit learner completion information to ACCME for the purpose of granting credit."
)


def moc_statements(activity: ActivityOut, ref: Reference) -> list[tuple[str, str]]:
    """(board name, statement) for each registration, written from its structured data."""
    out = []
    for reg in activity.moc:
        board = ref.boards[reg.board]
        points = f"{reg.points:g}"
        if reg.board == "ABIM":
            text = ABIM_STATEMENT.format(points=points)
        else:
            credits = " and ".join(
                (board.credit_type(c).label if board.credit_type(c) else c)  # type: ignore[union-attr]
                for c in reg.credit_types
            )
            text = GENERIC_STATEMENT.format(
                points=points, credits=credits, board=board.name, program=board.program
            )
        out.append((board.name, text))
    return out


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


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


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
