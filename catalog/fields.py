"""Small typed readers for raw record fields; each records a problem instead of raising.

Every reader accepts the strings a CSV cell or XML text gives as well as JSON values, so the
importers hand over plain dictionaries and one set of rules checks them all.
"""

from __future__ import annotations

import math
import re
import sys
from datetime import date, datetime
from typing import Any

from catalog.errors import FieldError

# A date, or a PARS-style datetime whose time part is ignored (2026-03-05T00:00:00).
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
# Numbers are written in ASCII digits: \d, str.isdigit() and float() also take full-width
# and other Unicode digits ("１２"), and isdigit() takes "²", which int() then refuses.
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
WHOLE_NUMBER = re.compile(r"[0-9]+")
# Control characters break exports and PostgreSQL refuses NUL; in multi-line text (the
# description) tabs and newlines are text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Single-line fields (titles, names, places, codes) take no control character at all: a lone
# CR or a Unicode line break (NEL, U+2028/9) starts a new line in lenient .ics and CSV readers.
NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Half of a UTF-16 pair on its own (JSON "\ud800", or such bytes decoded leniently): no text
# can be encoded with one, so neither the database nor a response could take it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
YEARS = (1990, 2100)
TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})


class Problems:
    """Collects every {field, message} of one record."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def has(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def has_under(self, field: str) -> bool:
        """Whether ``field`` or any path below it (``field.0.name``) has a problem."""
        return any(e.field == field or e.field.startswith(field + ".") for e in self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(
    p: Problems,
    at: str,
    value: object,
    *,
    required: bool = True,
    min_len: int = 1,
    max_len: int = 300,
    pattern: re.Pattern[str] | None = None,
    pattern_hint: str = "",
    required_message: str = "is required",
    multiline: bool = False,
) -> str | None:
    """Read a trimmed string; blank counts as absent. One line unless ``multiline``."""
    if _blank(value):
        if required:
            p.add(at, required_message)
        return None
    if not isinstance(value, str):
        p.add(at, "must be a string")
        return None
    text = value.strip()
    if multiline and CONTROL.search(text):
        p.add(at, "must not contain control characters")
    elif not multiline and NOT_ONE_LINE.search(text):
        p.add(at, "must be one line, without control characters")
    elif len(text) < min_len:
        p.add(at, f"must be at least {min_len} characters")
    elif len(text) > max_len:
        p.add(at, f"must be at most {max_len:,} characters")
    elif pattern is not None and not pattern.match(text):
        p.add(at, f"must be {pattern_hint}")
    else:
        return text
    return None


def as_number(
    p: Problems,
    at: str,
    value: object,
    *,
    required: bool = True,
    positive: bool = True,
    quarter: bool = True,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float | None:
    """Read a number; by default > 0 and in quarter steps (AMA PRA credits and MOC points)."""
    if _blank(value):
        if required:
            p.add(at, "is required")
        return None
    number = _to_float(value)
    if number is None or not math.isfinite(number):
        p.add(at, "must be a number")
    elif minimum is not None and number < minimum:
        p.add(at, f"must be at least {minimum:g}")
    elif maximum is not None and number > maximum:
        p.add(at, f"must be at most {maximum:g}")
    elif quarter and abs(number * 4 - round(number * 4)) > 1e-9:
        p.add(at, "must be a multiple of 0.25")
    elif positive and (round(number * 4) / 4 if quarter else number) <= 0:
        p.add(at, "must be greater than 0")
    else:
        return round(number * 4) / 4 if quarter else number
    return None


def _to_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            return decimal_number(value.strip())
    except OverflowError:
        return None
    return None


def decimal_number(text: str) -> float | None:
    """``text`` as a number when it is one in ASCII digits (12, -1.5, 2e3), else None."""
    return float(text) if NUMBER.fullmatch(text) else None


def whole_number(text: str, *, max_digits: int = 18) -> int | None:
    """``text`` as an int when it is 1 to ``max_digits`` ASCII digits, else None."""
    return int(text) if len(text) <= max_digits and WHOLE_NUMBER.fullmatch(text) else None


def as_date(p: Problems, at: str, value: object, *, required: bool = True) -> date | None:
    """Read an ISO date (``YYYY-MM-DD``); a datetime's time part is ignored."""
    if _blank(value):
        if required:
            p.add(at, "is required")
        return None
    if isinstance(value, date):
        return _in_years(p, at, value.date() if isinstance(value, datetime) else value)
    text = value.strip() if isinstance(value, str) else ""
    if ISO_DATE.match(text):
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            pass
        else:
            return _in_years(p, at, day)
    p.add(at, "must be an ISO date (YYYY-MM-DD)")
    return None


def _in_years(p: Problems, at: str, day: date) -> date | None:
    if YEARS[0] <= day.year <= YEARS[1]:
        return day
    p.add(at, f"must be a date between {YEARS[0]} and {YEARS[1]}")
    return None


def as_bool(p: Problems, at: str, value: object, *, default: bool) -> bool | None:
    """Read a boolean; spreadsheet words such as yes/no are accepted."""
    if _blank(value):
        return default
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    p.add(at, "must be true or false")
    return None


def as_choice(
    p: Problems,
    at: str,
    value: object,
    choices: dict[str, str],
    *,
    required: bool = True,
    default: str | None = None,
) -> str | None:
    """Read one of a set of codes; ``choices`` maps accepted spellings (casefolded) to codes."""
    if _blank(value):
        if default is None and required:
            p.add(at, "is required" if at != "fee" else "is required when the activity is listed")
        return default
    found = choices.get(str(value).strip().casefold()) if isinstance(value, str) else None
    if found is None:
        codes = ", ".join(dict.fromkeys(choices.values()))
        p.add(at, f"must be one of: {codes}")
    return found


def as_list(p: Problems, at: str, value: object) -> list[Any]:
    """Read a list; absent is empty."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    p.add(at, "must be a list")
    return []


def unicode_problems(value: object, at: str = "") -> list[FieldError]:
    """A problem for each string of a raw record, key or value, that holds a lone surrogate.

    Walked with a stack rather than recursion: a JSON line nests as deeply as its parser
    allows. A problem names the dotted path, a bad key written with its surrogate escaped.
    """
    problems: list[FieldError] = []
    stack: list[tuple[str, object]] = [(at, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and (found := LONE_SURROGATE.search(item)):
                problems.append(FieldError(path, _surrogate_message(found.group())))
        elif isinstance(item, dict):
            stack.extend(reversed([_entry(path, str(k), v) for k, v in item.items()]))
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(_join(path, str(i)), v) for i, v in enumerate(item)]))
    return problems


def _entry(path: str, key: str, value: object) -> tuple[str, object]:
    """A dict entry to walk; a key that holds a surrogate is checked instead of its value."""
    if key.isascii() or not LONE_SURROGATE.search(key):
        return _join(path, key), value
    return _join(path, key.encode("utf-8", "backslashreplace").decode("utf-8")), key


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _surrogate_message(char: str) -> str:
    return (
        f"must be valid Unicode text: it holds \\u{ord(char):04x}, a lone UTF-16 surrogate "
        "(the text was encoded or escaped wrongly)"
    )


# int() refuses longer text (a quadratic conversion: a CPU cost the client chooses).
MAX_DIGITS = sys.get_int_max_str_digits()


def json_integer(text: str) -> int | float:
    """A JSON integer (``json.loads(..., parse_int=json_integer)``); one too long to convert
    reads as infinity, which the rules then refuse by its field's name, as they refuse 1e999."""
    if len(text.lstrip("-")) > MAX_DIGITS:
        return float("-inf") if text.startswith("-") else float("inf")
    return int(text)
