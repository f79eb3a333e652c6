"""XLSX: the CSV layout in the first sheet of an Excel workbook (see ``catalog.importers.csv``).

A workbook is a zip of XML files, so its size is checked before openpyxl opens it: the
compressed file, the sum of the sizes its entries declare (a zip bomb declares little and
inflates much; zipfile stops reading an entry at its declared size), the shared-string table
(``catalog.importers.xlsx_parts``) and the rows read.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from catalog.errors import ImportFileError
from catalog.importers.base import Record
from catalog.importers.csv import Column, build_record, parse_header
from catalog.importers.xlsx_parts import broken_cell, check_shared_strings
from catalog.importers.xml_errors import parse_problem

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ENTRIES = 10_000
MAX_ROWS = 200_000
# Cells right of this are not read: openpyxl pads every row to the widest one, so a single
# cell in column XFD would otherwise cost 16,384 slots per row.
MAX_COLUMNS = 256
# Notes openpyxl prints about parts of a workbook an import does not need (styles, data
# validation and other extensions) or about a date cell it turns into "#VALUE!", which the
# rules then reject; anything else still fails the tests (filterwarnings=error).
QUIET = (
    r"(Workbook contains no (default style|stylesheet)"
    r"|.* extension is not supported"
    r"|Cell \S+ is marked as a date)"
)


def read_xlsx(stream: IO[bytes]) -> Iterator[Record]:
    """Yield one record per non-empty row of the first sheet, below its first non-empty row."""
    data = _read_capped(stream)
    _check_archive(data)
    workbook = _open_workbook(data)
    columns: list[Column] = []
    try:
        sheet = _first_sheet(workbook)
        rows = _quietly(_sheet_rows(sheet))
        try:
            header_number, headers = _header(rows)
            columns = parse_header(headers)
            for number, cells in enumerate(rows, start=header_number + 1):
                if number > MAX_ROWS:
                    raise ImportFileError(f"the sheet has more than {MAX_ROWS:,} rows")
                if any(cell.strip() for cell in cells):
                    yield build_record(f"row {number}", columns, cells, len(headers))
        except _NotXml as broken:
            raise ImportFileError(_broken(data, sheet, columns, broken.error)) from None
    finally:
        workbook.close()


class _NotXml(Exception):
    """The sheet stopped being well-formed XML: where, the reader knows better than openpyxl."""

    def __init__(self, error: ParseError) -> None:
        super().__init__(str(error))
        self.error = error


def _broken(data: bytes, sheet: Any, columns: list[Column], error: ParseError) -> str:
    """What broke the sheet, in the row and column (its header, once known) it broke in."""
    # openpyxl keeps the sheet's name in the archive only in this attribute.
    part = getattr(sheet, "_worksheet_path", None)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        cell = broken_cell(archive, part) if isinstance(part, str) else None
    if cell is None:
        return f"the sheet cannot be read: it {parse_problem(error)}"
    named = next((c for c in columns if c.index == cell.column), None)
    if named is None:
        where = f"column {_letters(cell.column)}"
    elif named.section:
        where = f'column "{named.header}"'
    else:
        where = f'{named.spec.path} (column "{named.header}")'
    row = f"row {cell.row}" + (" (the header)" if not columns else "")
    return f"{row}: {where}: {parse_problem(error, position=False)}; nothing was read past it"


def _letters(column: int) -> str:
    """A 0-based column as Excel names it (27 is AB)."""
    name = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _read_capped(stream: IO[bytes]) -> bytes:
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(f"the workbook is larger than {MAX_FILE_BYTES // 2**20} MB")
    return data


def _check_archive(data: bytes) -> None:
    """Refuse what is not a zip, or a zip that would inflate past the limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ImportFileError("the file is not an .xlsx workbook (not a zip archive)") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise ImportFileError(f"the workbook holds more than {MAX_ENTRIES:,} parts")
        if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
            raise ImportFileError(
                f"the workbook unpacks to more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB"
            )
        check_shared_strings(archive)


def _open_workbook(data: bytes) -> Any:
    # Imported here: openpyxl takes 0.2 s to import, which every other command would pay.
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", QUIET, UserWarning)
            return openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
    except (InvalidFileException, KeyError, zipfile.BadZipFile, ParseError, ValueError) as exc:
        raise ImportFileError(f"the file is not a readable .xlsx workbook ({exc})") from None


def _first_sheet(workbook: Any) -> Any:
    if not workbook.worksheets:
        raise ImportFileError("the workbook has no sheet")
    return workbook.worksheets[0]


def _sheet_rows(sheet: Any) -> Iterator[tuple[object, ...]]:
    # The declared dimension may be wrong; without a reset openpyxl stops at its last row.
    sheet.reset_dimensions()
    rows: Iterator[tuple[object, ...]] = sheet.iter_rows(
        min_row=1, max_col=MAX_COLUMNS, values_only=True
    )
    return rows


def _quietly(rows: Iterator[tuple[object, ...]]) -> Iterator[list[str]]:
    """Read rows as text, silencing openpyxl's notes only while it reads (not across yields)."""
    while True:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", QUIET, UserWarning)
            try:
                row = next(rows, None)
            except ParseError as exc:
                raise _NotXml(exc) from None
            except (KeyError, zipfile.BadZipFile, ValueError) as exc:
                raise ImportFileError(f"the sheet cannot be read ({exc})") from None
            except IndexError:  # openpyxl's lookup of a cell's shared-string number
                raise ImportFileError(
                    "the sheet cannot be read: a cell names a shared string the workbook "
                    "does not hold"
                ) from None
        if row is None:
            return
        yield _cells(row)


def _header(rows: Iterator[list[str]]) -> tuple[int, list[str]]:
    """Return the first non-empty row (the header) and its row number."""
    for number, cells in enumerate(rows, start=1):
        if number > MAX_ROWS:
            break
        if any(cell.strip() for cell in cells):
            return number, cells
    raise ImportFileError("the first sheet is empty: expected a header row")


def _cells(row: tuple[object, ...]) -> list[str]:
    width = len(row)
    while width and row[width - 1] is None:
        width -= 1
    return [_text(value) for value in row[:width]]


def _text(value: object) -> str:
    """Turn a cell value into the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()  # dates come back as midnight datetimes
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
