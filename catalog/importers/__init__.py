"""Batch-file readers. Each turns a file into raw records; none touches the database."""

from collections.abc import Callable, Iterator
from typing import IO

from catalog.importers.base import EXTENSIONS, FORMATS, Record, detect_format, format_of_name
from catalog.importers.csv import read_csv
from catalog.importers.jsonl import read_jsonl
from catalog.importers.xlsx import read_xlsx
from catalog.importers.xml import read_xml

READERS: dict[str, Callable[[IO[bytes]], Iterator[Record]]] = {
    "jsonl": read_jsonl,
    "csv": read_csv,
    "xlsx": read_xlsx,
    "xml": read_xml,
}


def read_records(stream: IO[bytes], fmt: str) -> Iterator[Record]:
    """Yield the raw records of a batch file in the given format."""
    return READERS[fmt](stream)


__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "READERS",
    "Record",
    "detect_format",
    "format_of_name",
    "read_records",
]
