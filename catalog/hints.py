"""Hints for values a person typed: the code they meant, and why a date is not a day.

One place for both, so an import report, the search API and the pages suggest alike.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Iterable
from datetime import date

ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# How alike two spellings must be (difflib's ratio) to be offered: at 0.6 "Cardiology" would
# suggest "Nephrology".
CUTOFF = 0.75


def same_ignoring_case(text: str, choices: Iterable[str]) -> str | None:
    """The one choice equal to ``text`` but for case and surrounding spaces, if exactly one."""
    wanted = text.strip().casefold()
    found = {c for c in choices if c.casefold() == wanted}
    return found.pop() if len(found) == 1 else None


def closest(text: str, choices: Iterable[str]) -> str | None:
    """The choice a person most likely meant by ``text``, or None when none is close.

    A choice that the text contains whole counts first ("General Internal Medicine" holds
    "Internal Medicine"), then the most alike spelling.
    """
    folded: dict[str, str] = {}
    for choice in choices:
        folded.setdefault(choice.casefold(), choice)
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return None
    inside = [c for c in folded if len(c) > 3 and re.search(rf"\b{re.escape(c)}\b", wanted)]
    if inside:
        return folded[max(inside, key=len)]
    match = difflib.get_close_matches(wanted, list(folded), n=1, cutoff=CUTOFF)
    return folded[match[0]] if match else None


def day_problem(text: str) -> str:
    """Why ``text`` is not an ISO date, in words a person can act on."""
    parts = ISO_DAY.match(text.strip())
    if parts is None:
        return "must be an ISO date (YYYY-MM-DD)"
    year, month, day = (int(p) for p in parts.groups())
    if year < 1:
        return "must be an ISO date (YYYY-MM-DD)"
    if not 1 <= month <= 12:
        return f"{text.strip()} has no month {month}: months run from 01 to 12"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        name = date(year, month, 1).strftime("%B")
        return f"{text.strip()} is not a day: {name} {year} has {last} days"
    return "must be an ISO date (YYYY-MM-DD)"
