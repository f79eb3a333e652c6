"""The import CSV written back: a header and one row per activity, in exactly the columns the
CSV importer reads (``catalog.importers.csv`` declares them; nothing is listed twice here), so a
provider can export activities, edit them in a spreadsheet and import the file again.

Every board of the reference data gets its column group, in reference order, so a file's
columns do not depend on which activities it holds. Cells are written as the importer reads
them: lists joined by "; ", booleans as yes/no, numbers without a trailing ".0".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from catalog.importers.csv import BOARD_PARTS, LIST_SEPARATOR, LOCATION_COLUMNS, PLAIN_COLUMNS
from catalog.reference import Reference

# The first header part of each registration field ("claim date" over "credit claim date").
_PARTS: dict[str, str] = {}
for _part, _field in BOARD_PARTS.items():
    _PARTS.setdefault(_field, _part)


def csv_header(ref: Reference) -> list[str]:
    """The header row: the activity's columns, its location's, then each board's group."""
    boards = [f"{b.display_code} {part}" for b in ref.boards.values() for part in _PARTS.values()]
    return [*PLAIN_COLUMNS, *LOCATION_COLUMNS, *boards]


def csv_row(activity: Mapping[str, Any], ref: Reference) -> list[str]:
    """The cells of one activity (as JSON: the shape of the API and the NDJSON export)."""
    location = activity.get("location") or {}
    registrations = {m["board"]: m for m in activity.get("moc") or ()}
    cells = [cell(activity.get(name)) for name in PLAIN_COLUMNS]
    cells += [cell(location.get(name)) for name in LOCATION_COLUMNS]
    for board in ref.boards.values():
        registration = registrations.get(board.code, {})
        cells += [cell(registration.get(field)) for field in _PARTS]
    return cells


def cell(value: object) -> str:
    """One value as the importer reads it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return f"{LIST_SEPARATOR} ".join(cell(v) for v in value)
    return str(value)
