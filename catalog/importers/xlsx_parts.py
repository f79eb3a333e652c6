"""Streaming scans of a workbook's XML parts, before and after openpyxl reads them.

openpyxl keeps the whole shared-string table in memory from the moment it opens a workbook,
and one short string there can fill any number of cells: a 459 KB file whose table unpacked
to 10 million strings took 114 s and 1 GB to open. So the table is measured first, without
keeping it: at most ``MAX_SHARED_STRINGS`` strings, none longer than Excel's own limit.

When a part is not well-formed XML (a lone surrogate written as ``&#55296;``), openpyxl says
only where in the XML it stopped: the sheet is scanned again to name the cell.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, fromstring

from catalog.errors import ImportFileError
from catalog.importers.mems import local
from catalog.importers.xml_errors import parse_problem

MAX_CELL_CHARS = 32_767  # the most text Excel lets a cell hold
# Five distinct texts a row (id, title, description, url, venue) in a sheet of 200,000 rows;
# openpyxl takes about 11 s and 100 MB per million.
MAX_SHARED_STRINGS = 1_000_000
# What reading a part of a damaged archive raises (bad CRC, bad deflate data, encryption...).
UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
MANIFEST = "[Content_Types].xml"
MAX_MANIFEST_BYTES = 1024 * 1024
CHUNK = 64 * 1024


def check_shared_strings(archive: zipfile.ZipFile) -> None:
    """Refuse a shared-string table past the limits, or not XML, before openpyxl loads it."""
    part = _shared_strings_part(archive)
    if part is None:
        return
    table = _StringTable()
    try:
        _scan(archive, part, table)
    except ParseError as exc:
        raise ImportFileError(
            f"text {table.count} of the workbook's shared strings ({part}) {parse_problem(exc)}"
        ) from None
    except DefusedXmlException:
        raise ImportFileError(
            "the workbook's shared strings declare a DTD or entities, which are not accepted"
        ) from None
    except UNREADABLE as exc:
        raise ImportFileError(f"the workbook cannot be unpacked ({exc})") from None


def _shared_strings_part(archive: zipfile.ZipFile) -> str | None:
    """The table's name in the archive, as openpyxl finds it: by its content type."""
    try:
        if archive.getinfo(MANIFEST).file_size > MAX_MANIFEST_BYTES:
            # Else a padded manifest could hide the table from this check, not from openpyxl.
            raise ImportFileError(f"the workbook's {MANIFEST} is larger than 1 MB")
        with archive.open(MANIFEST) as manifest:
            root = fromstring(manifest.read(MAX_MANIFEST_BYTES + 1))
    except (KeyError, ParseError, DefusedXmlException, *UNREADABLE):
        return None  # openpyxl then refuses the file with its own words
    for override in root:
        if local(override.tag) == "Override" and override.get("ContentType") == SHARED_STRINGS_TYPE:
            name = override.get("PartName", "").lstrip("/")
            return name if name in archive.namelist() else None
    return None


class _StringTable:
    """Parser target counting the strings (``si``) of the table and the length of each."""

    def __init__(self) -> None:
        self.count = 0
        self.length = 0
        self.inside = False

    def start(self, tag: str, _attrib: dict[str, str]) -> None:
        if local(tag) == "si":
            self.count += 1
            self.length, self.inside = 0, True
            if self.count > MAX_SHARED_STRINGS:
                raise ImportFileError(
                    f"the workbook holds more than {MAX_SHARED_STRINGS:,} distinct texts"
                )

    def end(self, tag: str) -> None:
        if local(tag) == "si":
            self.inside = False

    def data(self, text: str) -> None:
        if self.inside:
            self.length += len(text)
            if self.length > MAX_CELL_CHARS:
                raise ImportFileError(
                    f"text {self.count} of the workbook holds more than {MAX_CELL_CHARS:,} "
                    "characters, the most Excel lets a cell hold"
                )

    def close(self) -> None:
        return None


@dataclass(frozen=True)
class Cell:
    row: int
    column: int  # 0-based


def broken_cell(archive: zipfile.ZipFile, part: str) -> Cell | None:
    """The cell a sheet stops being well-formed XML in, if it does so inside a cell."""
    finder = _CellFinder()
    try:
        _scan(archive, part, finder)
    except ParseError:
        return finder.open_cell
    except (KeyError, DefusedXmlException, *UNREADABLE):
        return None
    return None


class _CellFinder:
    """Parser target following the row and cell being read; a cell's ``r`` (B7) says where
    it is, else it follows the one before (``r`` is optional)."""

    def __init__(self) -> None:
        self.row = 0
        self.column = -1
        self.open_cell: Cell | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        name = local(tag)
        if name == "row":
            number = attrib.get("r", "")
            self.row = int(number) if number.isdigit() else self.row + 1
            self.column = -1
        elif name == "c":
            given = _column(attrib.get("r", ""))
            self.column = self.column + 1 if given is None else given
            self.open_cell = Cell(self.row, self.column)

    def end(self, tag: str) -> None:
        if local(tag) == "c":
            self.open_cell = None

    def data(self, _text: str) -> None:
        return None

    def close(self) -> None:
        return None


def _column(reference: str) -> int | None:
    """The 0-based column of a cell reference (``AB12`` is 27), if it has one."""
    letters = reference.rstrip("0123456789")
    if not letters or not letters.isalpha() or not letters.isascii():
        return None
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def _scan(archive: zipfile.ZipFile, part: str, target: _StringTable | _CellFinder) -> None:
    """Feed a part of the archive to ``target`` in chunks; memory stays flat."""
    parser = DefusedXMLParser(
        target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            parser.feed(chunk)
    parser.close()
