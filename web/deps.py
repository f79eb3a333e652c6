"""What every page route shares: templates, the catalog session and the search service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlmodel import Session

from indexer.service import SearchService
from web.pages import day

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
templates = Jinja2Templates(directory=TEMPLATE_DIR)
templates.env.filters["day"] = day  # one way to write a date on every page


def _session(request: Request) -> Iterator[Session]:
    """A read session for one page (pages never write through it)."""
    engine: Engine = request.app.state.engine
    with Session(engine) as session:
        yield session


async def _search(request: Request) -> SearchService:
    # async: a plain def dependency costs a hop to a worker thread and back per request.
    service: SearchService = request.app.state.search
    return service


SessionDep = Annotated[Session, Depends(_session)]
SearchDep = Annotated[SearchService, Depends(_search)]
