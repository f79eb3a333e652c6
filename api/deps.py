"""Request dependencies as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from catalog.db import begin_write
from indexer.service import SearchService


def get_session(request: Request) -> Iterator[Session]:
    """Open a session per request; commit at the request boundary."""
    engine: Engine = request.app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.commit()


def get_write_session(request: Request) -> Iterator[Session]:
    """A session for requests that write: on SQLite it takes the write lock up front."""
    engine: Engine = request.app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        begin_write(session)
        yield session
        session.commit()


async def get_search(request: Request) -> SearchService:
    # async: a plain def dependency costs a hop to a worker thread and back per request.
    service: SearchService = request.app.state.search
    return service


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
SearchDep = Annotated[SearchService, Depends(get_search)]
