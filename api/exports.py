"""Streamed exports of search hits as NDJSON or CSV.

CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe, so an exported title cannot execute.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from indexer.documents import Hit

EXPORT_FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
CSV_COLUMNS = [
    "id", "title", "provider_id", "provider_name", "activity_type", "format", "start_date",
    "end_date", "city", "state", "country", "cme_credits", "moc", "registration", "fee", "url",
]  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 200


def split_export_format(values: list[str]) -> tuple[str | None, list[str]]:
    """Separate ``format=csv|ndjson`` (the export's) from ``format=online`` (the filter's).

    Both are called ``format``: api.md names the activity format filter so, and the export
    takes its file format by the same name; the values never overlap.
    """
    kinds = [v for v in values if v in EXPORT_FORMATS]
    return (kinds[-1] if kinds else None), [v for v in values if v not in EXPORT_FORMATS]


def pick_export_format(given: str | None, accept: str) -> str:
    """The export format: format= wins, then the Accept header, then NDJSON."""
    if given:
        return given
    return "csv" if "text/csv" in accept and "ndjson" not in accept else "ndjson"


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_row(hit: Hit) -> list[str]:
    location: dict[str, Any] = dict(hit["location"] or {})
    moc = " | ".join(
        f"{m['board']} {m['points']:g}: {', '.join(m['credit_types'])}" for m in hit["moc"]
    )
    values: dict[str, Any] = {
        **hit,
        "provider_id": hit["provider"]["id"],
        "provider_name": hit["provider"]["name"],
        "city": location.get("city"),
        "state": location.get("state"),
        "country": location.get("country"),
        "moc": moc,
    }
    return [neutralise("" if values.get(c) is None else str(values[c])) for c in CSV_COLUMNS]


def export_stream(hits: Iterable[Hit], kind: str) -> Iterator[bytes]:
    """Yield the export in chunks; memory stays flat however many hits there are."""
    if kind == "ndjson":
        for hit in hits:
            yield (json.dumps(hit, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for number, hit in enumerate(hits, 1):
        writer.writerow(csv_row(hit))
        if number % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
