"""Query-string helpers: every link on a page is built here, so pages work without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

Params = Mapping[str, Sequence[str]]
# Parameters that describe where in a result list one is, reset whenever the search changes.
PAGING = ("page",)


def query_string(params: Params, **changes: Sequence[str] | str | None) -> str:
    """Encode ``params`` with some replaced (None or [] removes a parameter)."""
    merged: dict[str, list[str]] = {k: list(v) for k, v in params.items() if v}
    for name, value in changes.items():
        if value is None or value == []:
            merged.pop(name, None)
        else:
            merged[name] = [value] if isinstance(value, str) else list(value)
    return urlencode([(k, v) for k, values in merged.items() for v in values])


def toggled(params: Params, name: str, value: str) -> str:
    """The query string with ``value`` added to or removed from parameter ``name``."""
    current = list(params.get(name, ()))
    updated = [v for v in current if v != value] if value in current else [*current, value]
    return query_string(params, **{name: updated, "page": None})


def without(params: Params, *names: str) -> str:
    """The query string without the given parameters (and back on page 1)."""
    return query_string(params, **dict.fromkeys((*names, "page")))
