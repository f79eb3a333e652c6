"""What every importer yields, and the choice of importer by format."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.errors import FieldError, ImportFileError

FORMATS = ("jsonl", "csv", "xlsx", "xml")
EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xml": "xml",
}


@dataclass
class Record:
    """One record of a batch file: where it is, and either its raw data or why it is unreadable."""

    locator: str  # "line 3", "row 3", "activity 3 (line 57)"
    data: Any = None
    problem: FieldError | None = None
    # Maps a field path to the column (or XML element) a user typed it in, for clearer reports.
    columns: dict[str, str] = field(default_factory=dict)
    column_kind: str = "column"  # what ``columns`` names: "column" or "element"
    # Set only by readers whose format can ask for a deletion (PARS XML "Delete"); a key in
    # the data could not do it, so a JSONL line cannot delete by accident.
    delete: bool = False

    def describe(self, path: str) -> str:
        """Return a field path with the column or element it came from, when known."""
        for prefix in sorted(self.columns, key=len, reverse=True):
            if path == prefix or path.startswith(prefix + "."):
                return f'{path} ({self.column_kind} "{self.columns[prefix]}")'
        return path


def format_of_name(name: str) -> str | None:
    """The import format a file's name tells by its extension, if any."""
    return EXTENSIONS.get(Path(name).suffix.lower())


def detect_format(path: Path, given: str | None) -> str:
    """Return the import format: the one given (``--format``), else the file's extension."""
    if given:
        if given not in FORMATS:
            raise ImportFileError(f"unknown format {given!r}; expected one of {', '.join(FORMATS)}")
        return given
    found = format_of_name(path.name)
    if found is None:
        raise ImportFileError(
            f"cannot tell the format of {path.name!r} from its extension; pass --format"
        )
    return found
