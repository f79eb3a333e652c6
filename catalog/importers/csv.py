"""CSV: one row per activity, MOC registrations as per-board column groups.

``ACTIVITY_COLUMNS`` and ``BOARD_COLUMNS`` below are the one declaration of the columns (the
README's table lists the same, and a test holds them together). Header names ignore case,
spaces, hyphens and underscores. Per board, e.g. for ABIM: "ABIM points", "ABIM credit types",
"ABIM practice areas", "ABIM claim date", "ABIM content outline"; a row registers the
activity with a board when any of them is filled.

Lists (specialties, topics, joint providers, supporters, credit types, practice areas,
content outline areas) are separated by ";" because practice areas contain commas.
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
# Unknown columns an error names: a header of a million made-up columns gets a short answer.
NAMED_UNKNOWN = 10


@dataclass(frozen=True)
class ColumnSpec:
    """One CSV column: its header, the field it fills and how the cell is read."""

    header: str
    path: str  # "title", "location.city", "commercial_support", or a registration field
    kind: str = "text"  # "text"; "list" (split on ";"); "monetary" / "in_kind" (supporter names)
    aliases: tuple[str, ...] = ()


ACTIVITY_COLUMNS = (
    ColumnSpec("provider_activity_id", "provider_activity_id"),
    ColumnSpec("title", "title"),
    ColumnSpec("description", "description"),
    ColumnSpec("activity_type", "activity_type"),
    ColumnSpec("format", "format"),
    ColumnSpec("start_date", "start_date"),
    ColumnSpec("end_date", "end_date"),
    ColumnSpec("url", "url"),
    ColumnSpec("fee", "fee"),
    ColumnSpec("cme_credits", "cme_credits"),
    ColumnSpec("listed", "listed"),
    ColumnSpec("registration", "registration"),
    ColumnSpec("specialties", "specialties", "list"),
    ColumnSpec("venue", "location.venue"),
    ColumnSpec("city", "location.city"),
    ColumnSpec("state", "location.state"),
    ColumnSpec("postal_code", "location.postal_code"),
    ColumnSpec("country", "location.country"),
    ColumnSpec("lat", "location.lat"),
    ColumnSpec("lng", "location.lng"),
    ColumnSpec("accme_activity_id", "accme_activity_id"),
    ColumnSpec("providership", "providership"),
    ColumnSpec("joint_providers", "joint_providers", "list"),
    ColumnSpec("commercial_support_monetary", "commercial_support", "monetary"),
    ColumnSpec("commercial_support_in_kind", "commercial_support", "in_kind"),
    ColumnSpec("rems", "rems"),
    ColumnSpec("mips", "mips"),
    ColumnSpec("topics", "topics", "list"),
)
BOARD_COLUMNS = (
    ColumnSpec("points", "points"),
    ColumnSpec("credit types", "credit_types", "list"),
    ColumnSpec("practice areas", "practice_areas", "list"),
    ColumnSpec("claim date", "credit_claim_date", aliases=("credit claim date",)),
    ColumnSpec("content outline", "content_outline", "list"),
)


def _key(header: str) -> str:
    return " ".join(header.replace("_", " ").replace("-", " ").split()).casefold()


_PLAIN = {_key(c.header): c for c in ACTIVITY_COLUMNS}
_BOARD_PARTS = {_key(name): c for c in BOARD_COLUMNS for name in (c.header, *c.aliases)}
BOARD_COLUMN = re.compile(r"^([a-z]+) (" + "|".join(map(re.escape, _BOARD_PARTS)) + ")$")


@dataclass(frozen=True)
class Column:
    index: int
    header: str  # as the file spells it
    section: str  # "" for activity columns, else a board code
    spec: ColumnSpec


def parse_header(headers: list[str]) -> list[Column]:
    """Map header cells to fields; unknown or repeated columns make the file unreadable."""
    boards = {b.code.casefold(): b.code for b in reference().boards.values()}
    boards |= {b.display_code.casefold(): b.code for b in reference().boards.values()}
    columns, unknown, seen = [], [], set()
    for index, header in enumerate(headers):
        key = _key(header)
        match = BOARD_COLUMN.match(key)
        if not key:
            continue
        if key in _PLAIN:
            column = Column(index, header, "", _PLAIN[key])
        elif match and match.group(1) in boards:
            column = Column(index, header, boards[match.group(1)], _BOARD_PARTS[match.group(2)])
        else:
            unknown.append(header)
            continue
        if (column.section, column.spec.header) in seen:
            raise ImportFileError(f"column {header!r} appears twice")
        seen.add((column.section, column.spec.header))
        columns.append(column)
    if unknown:
        raise ImportFileError(
            f"unknown column(s): {_some(unknown)}; see the README for the CSV columns"
        )
    if ("", "provider_activity_id") not in seen:
        raise ImportFileError("the header row has no provider_activity_id column")
    return columns


def _some(headers: list[str]) -> str:
    """The first NAMED_UNKNOWN headers, each cut to 40 characters, and how many more."""
    named = ", ".join(repr(h if len(h) <= 40 else h[:39] + "…") for h in headers[:NAMED_UNKNOWN])
    more = len(headers) - NAMED_UNKNOWN
    return f"{named} and {more:,} more" if more > 0 else named


def _items(cell: str) -> list[str]:
    return [v.strip() for v in cell.split(LIST_SEPARATOR) if v.strip()]


class _Row:
    """The raw record a row builds, and the column each field path came from."""

    def __init__(self, locator: str) -> None:
        self.data: dict[str, object] = {}
        self.location: dict[str, object] = {}
        self.supporters: list[dict[str, str]] = []
        self.boards: dict[str, dict[str, object]] = {}
        self.record = Record(locator, data=self.data)

    def put(self, column: Column, cell: str) -> None:
        spec = column.spec
        value = cell if spec.kind == "text" else _items(cell)
        if column.section:
            registration = self.boards.setdefault(column.section, {"board": column.section})
            registration[spec.path] = value
        elif spec.kind in ("monetary", "in_kind"):
            for name in _items(cell):
                self.record.columns[f"commercial_support.{len(self.supporters)}"] = column.header
                self.supporters.append({"name": name, "kind": spec.kind})
        elif spec.path.startswith("location."):
            self.location[spec.path.partition(".")[2]] = value
        else:
            self.data[spec.path] = value

    def finish(self, columns: list[Column]) -> Record:
        if self.location:
            self.data["location"] = self.location
        if self.supporters:
            self.data["commercial_support"] = self.supporters
        if self.boards:
            self.data["moc"] = list(self.boards.values())
        board_index = {code: i for i, code in enumerate(self.boards)}
        # A problem with a column the file lacks (a required content outline) names the
        # column to add.
        for code, i in board_index.items():
            for spec in BOARD_COLUMNS:
                self.record.columns[f"moc.{i}.{spec.path}"] = f"{code} {spec.header}"
        for column in columns:
            if column.section in board_index:
                at = f"moc.{board_index[column.section]}"
                self.record.columns.setdefault(at, column.header)
                self.record.columns[f"{at}.{column.spec.path}"] = column.header
            elif not column.section and column.spec.path != "commercial_support":
                self.record.columns[column.spec.path] = column.header
        return self.record


def build_record(locator: str, columns: list[Column], cells: list[str], width: int) -> Record:
    """Turn one row of cells into a raw activity record."""
    if any(cell.strip() for cell in cells[width:]):
        return Record(locator, problem=FieldError("", "the row has more cells than the header"))
    row = _Row(locator)
    for column in columns:
        cell = cells[column.index].strip() if column.index < len(cells) else ""
        if cell:
            row.put(column, cell)
    return row.finish(columns)


def read_csv(stream: IO[bytes]) -> Iterator[Record]:
    """Yield one record per non-empty row; row numbers count the header as row 1."""
    # Encoded surrogates (bytes ED A0 80: "\ud800" written by a lenient encoder) pass decoding,
    # so that the rules name the row and column holding one; other bad bytes stop the file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", errors="surrogatepass")
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
