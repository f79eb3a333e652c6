"""Errors of the search side.

SearchError
 ├── InvalidQuery        bad search parameters; carries every {field, message}
 ├── EngineUnavailable   the engine cannot be reached or refused the work (retry later)
 │    └── IndexOutdated  the embedded index was built by another version (reindex)
 ├── EngineTimeout       the engine did not answer in time
 └── QueryRejected       the engine refused a query we built: a bug on our side
"""

from __future__ import annotations

from catalog.errors import FieldError


class SearchError(Exception):
    code = "search_error"


class InvalidQuery(SearchError):
    code = "invalid_query"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} invalid search parameter(s)")
        self.errors = errors


class EngineUnavailable(SearchError):
    code = "engine_unavailable"


class IndexOutdated(EngineUnavailable):
    """Its code stays engine_unavailable: to a client it is an outage until the rebuild."""


class EngineTimeout(EngineUnavailable):
    code = "engine_timeout"


class QueryRejected(SearchError):
    code = "query_rejected"
