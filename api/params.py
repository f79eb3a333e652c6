"""The public search parameters, documented for OpenAPI from the search vocabulary.

FastAPI only documents them and checks their types; the real validation (codes against the
reference data, ranges, combinations) is ``indexer.query.parse_search``, so every route
reports the same errors the same way. The dependency's signature is built from
``indexer.vocabulary.PARAMS``: a parameter declared there appears here with its description
and example.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from indexer.query import SearchQuery, parse_search
from indexer.vocabulary import PARAMS, Param

# How OpenAPI documents each kind of parameter. FastAPI receives every one as a string, so
# that the parser's messages ("2027-02-30 is not a day ...") answer a bad value, not pydantic's.
SCHEMAS: dict[str, dict[str, Any]] = {
    "minimum": {"type": "number"},
    "date": {"type": "string", "format": "date"},
}
CONTROL_SCHEMAS: dict[str, dict[str, Any]] = {
    "page": {"type": "integer", "minimum": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
    "radius_mi": {"type": "number", "minimum": 0.1, "maximum": 500},
}


def _no_values() -> list[str]:
    return []


def _declaration(param: Param) -> inspect.Parameter:
    if param.repeatable:
        # An absent list is empty, not null: a query string cannot send null. A function of
        # ours, not `list`: pydantic inspects the factory's signature on every request, and
        # reading a builtin's signature costs some 0.2 ms each time.
        query = Query(
            default_factory=_no_values,
            description=param.description + " Repeat for OR.",
            examples=[[param.example]],
        )
        annotation: Any = Annotated[list[str], query]
        return inspect.Parameter(param.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
    schema = CONTROL_SCHEMAS.get(param.name) or SCHEMAS.get(param.kind, {})
    query = Query(description=param.description, examples=[param.example], json_schema_extra=schema)
    return inspect.Parameter(
        param.name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[str, query], default=None
    )


def _documented(function: Any, returns: Any) -> Any:
    """Give ``function`` a signature of the request plus every vocabulary parameter."""
    request = inspect.Parameter(
        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
    )
    declared = [_declaration(p) for p in PARAMS]
    function.__signature__ = inspect.Signature([request, *declared], return_annotation=returns)
    return function


def _sent(request: Request) -> dict[str, list[str]]:
    return {name: request.query_params.getlist(name) for name in request.query_params}


def search_query(request: Request, **_declared: object) -> SearchQuery:
    """Parse the request's search parameters (the raw strings, so errors quote what was sent)."""
    return parse_search(_sent(request))


def raw_search_params(request: Request, **_declared: object) -> dict[str, list[str]]:
    """The search parameters as sent, for routes that adjust them before parsing."""
    return _sent(request)


_documented(search_query, SearchQuery)
_documented(raw_search_params, dict[str, list[str]])
SearchQueryDep = Annotated[SearchQuery, Depends(search_query)]
RawSearchParamsDep = Annotated[dict[str, list[str]], Depends(raw_search_params)]
