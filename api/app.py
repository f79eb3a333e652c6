"""The ASGI app factory. Nothing connects at import: the lifespan opens the catalog."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.problems import install_problem_handlers
from api.routes import activities, health
from api.settings import Settings
from catalog import migrate
from catalog.db import make_engine


def create_app(settings: Settings) -> FastAPI:
    """Build the app for these settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.catalog_url())
        migrate.check_schema(engine)
        app.state.engine = engine
        yield
        engine.dispose()

    app = FastAPI(
        title="MOC Catalog",
        version="1",
        description="CME activities registered for Maintenance of Certification.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(activities.router)
    return app
