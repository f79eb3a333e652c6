"""Streamed exports of a search: NDJSON (full activities) and CSV (the import layout).

Both read the activities from the catalog a page of hits at a time, in the search's order:
NDJSON lines are Activity objects plus the catalog's read-only fields (api.md), and CSV rows
are in exactly the import CSV's columns (``catalog.importers.csv_layout``), so a provider can
export, edit and import again.

CSV cells that a spreadsheet would run as a formula (text starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe, so an exported title cannot execute; numbers
such as a negative longitude are left as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import islice
from typing import Any

from sqlalchemy import Engine

from api.schemas import public_activity_json
from catalog.db import session_scope
from catalog.importers.csv_layout import csv_header, csv_row
from catalog.reference import reference
from catalog.service import get_public_activities
from indexer.documents import Hit

EXPORT_FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 200
ACTIVITIES_PER_READ = 500


def neutralise(cell: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula (never a plain number)."""
    if not cell.startswith(FORMULA_STARTS):
        return cell
    try:
        float(cell)
    except ValueError:
        return "'" + cell
    return cell


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


def export_stream(activities: Iterable[dict[str, Any]], kind: str) -> Iterator[bytes]:
    """Yield the export in chunks; memory stays flat however many activities there are."""
    if kind == "ndjson":
        for activity in activities:
            yield (json.dumps(activity, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        return
    ref = reference()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_header(ref))
    for number, activity in enumerate(activities, 1):
        writer.writerow([neutralise(cell) for cell in csv_row(activity, ref)])
        if number % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
