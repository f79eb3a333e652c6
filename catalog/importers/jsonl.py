"""JSONL: one Activity JSON object per line (the canonical format)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from catalog.errors import FieldError
from catalog.fields import json_integer
from catalog.importers.base import Record


def read_jsonl(stream: IO[bytes]) -> Iterator[Record]:
    """Yield one record per non-blank line; a line that is not JSON becomes a problem record."""
    for number, raw in enumerate(stream, start=1):
        locator = f"line {number}"
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield Record(locator, problem=FieldError("", f"not valid UTF-8 (byte {exc.start + 1})"))
            continue
        if not text.strip():
            continue
        try:
            yield Record(locator, data=json.loads(text.rstrip("\r\n"), parse_int=json_integer))
        except json.JSONDecodeError as exc:
            yield Record(
                locator, problem=FieldError("", f"invalid JSON: {exc.msg} (column {exc.colno})")
            )
        except RecursionError:
            yield Record(locator, problem=FieldError("", "invalid JSON: nested too deeply"))
