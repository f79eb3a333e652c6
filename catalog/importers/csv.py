"""CSV: one row per activity, MOC registrations as per-board column groups.

Columns (header row; case, spaces and underscores do not matter):

- the Activity fields: provider_activity_id, title, description, activity_type, format,
  start_date, end_date, url, fee, cme_credits, listed, registration, specialties
- location: venue, city, state, postal_code, country, lat, lng
- per board, e.g. for ABIM: "ABIM points", "ABIM credit types", "ABIM practice areas",
  "ABIM claim date". A row registers the activity with a board when any of them is filled.

Lists (specialties, credit types, practice areas) are separated by ";" because practice
areas contain commas. Credit types may be codes (MK) or names (Medical Knowledge).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from catalog.errors import FieldError, ImportFileError
from catalog.importers.base import Record
from catalog.reference import reference

LIST_SEPARATOR = ";"
PLAIN_COLUMNS = (
    "provider_activity_id",
    "title",
    "description",
    "activity_type",
    "format",
    "start_date",
    "end_date",
    "url",
    "fee",
    "cme_credits",
    "listed",
    "registration",
    "specialties",
)
LOCATION_COLUMNS = ("venue", "city", "state", "postal_code", "country", "lat", "lng")
BOARD_PARTS = {
    "points": "points",
    "credit types": "credit_types",
    "practice areas": "practice_areas",
    "claim date": "credit_claim_date",
    "credit claim date": "credit_claim_date",
}
BOARD_COLUMN = re.compile(r"^([a-z]+) (" + "|".join(BOARD_PARTS) + ")$")
LIST_FIELDS = frozenset({"specialties", "credit_types", "practice_areas"})


def _key(header: str) -> str:
    return " ".join(header.replace("_", " ").replace("-", " ").split()).casefold()


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    section: str  # "", "location" or a board code
    field: str


def parse_header(headers: list[str]) -> list[Column]:
    """Map header cells to fields; unknown or repeated columns make the file unreadable."""
    plain = {_key(c): c for c in PLAIN_COLUMNS}
    located = {_key(c): c for c in LOCATION_COLUMNS}
    boards = {b.code.casefold(): b.code for b in reference().boards.values()}
    boards |= {b.display_code.casefold(): b.code for b in reference().boards.values()}
    columns, unknown, seen = [], [], set()
    for index, header in enumerate(headers):
        key = _key(header)
        match = BOARD_COLUMN.match(key)
        if not key:
            continue
        if key in plain:
            column = Column(index, header, "", plain[key])
        elif key in located:
            column = Column(index, header, "location", located[key])
        elif match and match.group(1) in boards:
            column = Column(index, header, boards[match.group(1)], BOARD_PARTS[match.group(2)])
        else:
            unknown.append(header)
            continue
        if (column.section, column.field) in seen:
            raise ImportFileError(f"column {header!r} appears twice")
        seen.add((column.section, column.field))
        columns.append(column)
    if unknown:
        raise ImportFileError(
            "unknown column(s): "
            + ", ".join(repr(u) for u in unknown)
            + "; see the README for the CSV columns"
        )
    if ("", "provider_activity_id") not in seen:
        raise ImportFileError("the header row has no provider_activity_id column")
    return columns


def missing_column(board: str, field: str) -> str:
    """The header a board's column for ``field`` would have ("ABP practice areas")."""
    part = next(p for p, f in BOARD_PARTS.items() if f == field)
    return f"{reference().boards[board].display_code} {part}"


def build_record(locator: str, columns: list[Column], cells: list[str], width: int) -> Record:
    """Turn one row of cells into a raw activity record."""
    if any(cell.strip() for cell in cells[width:]):
        return Record(locator, problem=FieldError("", "the row has more cells than the header"))
    data: dict[str, object] = {}
    location: dict[str, object] = {}
    boards: dict[str, dict[str, object]] = {}
    for column in columns:
        cell = cells[column.index].strip() if column.index < len(cells) else ""
        if not cell:
            continue
        value: object = (
            [v.strip() for v in cell.split(LIST_SEPARATOR) if v.strip()]
            if (column.field in LIST_FIELDS)
            else cell
        )
        if column.section == "":
            data[column.field] = value
        elif column.section == "location":
            location[column.field] = value
        else:
            boards.setdefault(column.section, {"board": column.section})[column.field] = value
    if location:
        data["location"] = location
    record = Record(locator, data=data)
    if boards:
        data["moc"] = list(boards.values())
        by_field = {(c.section, c.field): c.header for c in columns}
        for i, code in enumerate(boards):
            record.columns[f"moc.{i}"] = next(c.header for c in columns if c.section == code)
            for part in ("points", "credit_types", "practice_areas", "credit_claim_date"):
                # A missing column is named as it should be added, not by a sibling column.
                named = by_field.get((code, part)) or missing_column(code, part)
                record.columns[f"moc.{i}.{part}"] = named
    for column in columns:
        path = (
            column.field
            if column.section == ""
            else (f"location.{column.field}" if column.section == "location" else "")
        )
        if path:
            record.columns[path] = column.header
    return record


def read_csv(stream: IO[bytes]) -> Iterator[Record]:
    """Yield one record per non-empty row; row numbers count the header as row 1."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
        try:
            headers = next(reader)
        except StopIteration:
            raise ImportFileError("the file is empty: expected a header row") from None
        columns = parse_header(headers)
        for number, cells in enumerate(reader, start=2):
            if any(cell.strip() for cell in cells):
                yield build_record(f"row {number}", columns, cells, len(headers))
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"the file is not valid UTF-8 (byte {exc.start + 1})") from None
    except csv.Error as exc:
        raise ImportFileError(f"malformed CSV: {exc}") from None
    finally:
        text.detach()
