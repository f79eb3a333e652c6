"""The public search parameters, documented for OpenAPI from the search vocabulary, and the
check that no route's single-valued parameter is given twice.

FastAPI only documents them and checks their types; the real validation (codes against the
reference data, ranges, combinations) is ``indexer.query.parse_search``, so every route
reports the same errors the same way. The OpenAPI parameters are built
from ``indexer.vocabulary.PARAMS``: a parameter declared there appears here with its
description and example.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from catalog.errors import FieldError
from indexer.errors import InvalidQuery
from indexer.query import GIVEN_TWICE, SearchQuery, parse_search
from indexer.vocabulary import PARAMS, Param

# How OpenAPI documents each kind of parameter. FastAPI does not read them: the parser does,
# so that its messages ("2027-02-30 is not a day ...") answer a bad value, not pydantic's,
# and no request pays for validating two dozen parameters twice.
SCHEMAS: dict[str, dict[str, Any]] = {
    "minimum": {"type": "number"},
    "date": {"type": "string", "format": "date"},
}
CONTROL_SCHEMAS: dict[str, dict[str, Any]] = {
    "page": {"type": "integer", "minimum": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
    "radius_mi": {"type": "number", "minimum": 0.1, "maximum": 500},
}


def _parameter(param: Param) -> dict[str, Any]:
    """The OpenAPI parameter object of one vocabulary parameter."""
    example: str | list[str] = param.example
    description = param.description
    if param.repeatable:
        schema: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "default": []}
        description, example = description + " Repeat for OR.", [param.example]
    else:
        schema = {"type": "string"} | CONTROL_SCHEMAS.get(param.name, SCHEMAS.get(param.kind, {}))
    return {
        "name": param.name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "example": example,
    }


# Routes that take the search parameters add these to their OpenAPI operation.
SEARCH_OPENAPI: dict[str, Any] = {"parameters": [_parameter(p) for p in PARAMS]}


def _sent(request: Request) -> dict[str, list[str]]:
    return {name: request.query_params.getlist(name) for name in request.query_params}


async def search_query(request: Request) -> SearchQuery:
    """Parse the request's search parameters (the raw strings, so errors quote what was sent).

    async: parsing is a fraction of a millisecond, less than the hop to a worker thread and
    back that FastAPI makes for a plain def dependency."""
    return parse_search(_sent(request))


async def raw_search_params(request: Request) -> dict[str, list[str]]:
    """The search parameters as sent, for routes that adjust them before parsing."""
    return _sent(request)


SearchQueryDep = Annotated[SearchQuery, Depends(search_query)]
RawSearchParamsDep = Annotated[dict[str, list[str]], Depends(raw_search_params)]


async def reject_repeated_parameters(request: Request) -> None:
    """Refuse a query parameter given twice where the route declares one value (every route
    runs this): FastAPI would silently take the last. The search parameters are read raw, and
    indexer.query refuses theirs the same way."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    given = request.query_params
    repeated = [name for name in _single_valued(route.dependant) if len(given.getlist(name)) > 1]
    if repeated:
        raise InvalidQuery([FieldError(name, GIVEN_TWICE) for name in repeated])


def _single_valued(dependant: Dependant) -> Iterator[str]:
    """The query parameters that ``dependant`` and its dependencies declare as one value."""
    for param in dependant.query_params:
        if not _is_sequence(param.field_info.annotation):
            yield param.alias
    for inner in dependant.dependencies:
        yield from _single_valued(inner)


def _is_sequence(annotation: object) -> bool:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_is_sequence(arg) for arg in get_args(annotation))
    return origin in (list, tuple, set, frozenset)
