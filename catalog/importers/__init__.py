"""Batch-file readers. Each turns a file into raw records; none touches the database."""

from collections.abc import Callable, Iterator
from typing import IO

from catalog.importers.base import FORMATS, Record, detect_format
from catalog.importers.csv import read_csv
from catalog.importers.jsonl import read_jsonl

READERS: dict[str, Callable[[IO[bytes]], Iterator[Record]]] = {"jsonl": read_jsonl, "csv": read_csv}


def read_records(stream: IO[bytes], fmt: str) -> Iterator[Record]:
    """Yield the raw records of a batch file in the given format."""
    return READERS[fmt](stream)


__all__ = ["FORMATS", "READERS", "Record", "detect_format", "read_records"]
