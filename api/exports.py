"""Streamed exports of search results as NDJSON (full activities) or CSV (hits).

NDJSON lines are Activity objects plus the catalog's read-only fields (api.md), read from the
catalog a page of hits at a time in the search's order, so every field a provider gave (the
PARS disclosure fields among them) leaves with the activity and the line can be imported again.

CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe, so an exported title cannot execute.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from itertools import islice
from typing import Any, cast

from sqlalchemy import Engine

from api.schemas import public_activity_json
from catalog.db import session_scope
from catalog.service import get_public_activities
from indexer.documents import Hit

EXPORT_FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
CSV_COLUMNS = [
    "id", "title", "provider_id", "provider_name", "activity_type", "format", "start_date",
    "end_date", "city", "state", "country", "cme_credits", "moc", "registration", "fee", "url",
]  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 200
ACTIVITIES_PER_READ = 500


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


def full_activities(
    hits: Iterable[Hit], engine: Engine, today: date | None = None
) -> Iterator[dict[str, Any]]:
    """The public activity of each hit, in the hits' order; one catalog read per page.

    An activity unlisted between the search and the read is left out: the catalog decides.
    """
    today = today or date.today()
    pending = iter(hits)
    while page := [h["id"] for h in islice(pending, ACTIVITIES_PER_READ)]:
        with session_scope(engine) as session:
            found = get_public_activities(session, page, today=today)
        yield from (public_activity_json(found[aid]) for aid in page if aid in found)


def export_stream(rows: Iterable[Mapping[str, Any]], kind: str) -> Iterator[bytes]:
    """Yield the export in chunks; memory stays flat however many rows there are.

    NDJSON rows are activities (``full_activities``) or hits; CSV rows are hits.
    """
    if kind == "ndjson":
        for row in rows:
            yield (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for number, row in enumerate(rows, 1):
        writer.writerow(csv_row(cast(Hit, row)))
        if number % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
