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

from catalog.importers.csv import ACTIVITY_COLUMNS, BOARD_COLUMNS, LIST_SEPARATOR, ColumnSpec
from catalog.reference import Reference


def csv_header(ref: Reference) -> list[str]:
    """The header row: the activity's columns, then each board's group."""
    boards = [f"{b.display_code} {c.header}" for b in ref.boards.values() for c in BOARD_COLUMNS]
    return [c.header for c in ACTIVITY_COLUMNS] + boards


def csv_row(activity: Mapping[str, Any], ref: Reference) -> list[str]:
    """The cells of one activity (as JSON: the shape of the API and the NDJSON export)."""
    registrations = {m["board"]: m for m in activity.get("moc") or ()}
    cells = [cell(_value(activity, spec)) for spec in ACTIVITY_COLUMNS]
    for board in ref.boards.values():
        registration = registrations.get(board.code, {})
        cells += [cell(registration.get(spec.path)) for spec in BOARD_COLUMNS]
    return cells


def _value(activity: Mapping[str, Any], spec: ColumnSpec) -> object:
    """What one activity column holds: a field, a location field, or the supporters of a kind."""
    if spec.kind in ("monetary", "in_kind"):
        return [s["name"] for s in activity.get(spec.path) or () if s.get("kind") == spec.kind]
    if spec.path.startswith("location."):
        return (activity.get("location") or {}).get(spec.path.partition(".")[2])
    return activity.get(spec.path)


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
