"""The ASGI app factory. Nothing connects at import: the lifespan opens the catalog."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from api.api_docs import install_api_docs
from api.bootstrap import make_search_engine, make_search_service, make_syncer
from api.examples import document_examples
from api.limits import LimitsMiddleware, document_limits
from api.metrics import Metrics
from api.observability import RequestContextMiddleware, configure_logging
from api.params import reject_repeated_parameters
from api.problems import install_problem_handlers
from api.proxies import ProxyHeadersMiddleware, TrustedProxies
from api.routes import activities, catalog_info, health, provider_api
from api.search_metrics import SearchInstancesCollector
from api.security_headers import SecurityHeadersMiddleware
from api.settings import Settings
from catalog import migrate
from catalog.db import make_engine
from catalog.secrets_store import installation_secret
from indexer.engines.meilisearch_instances import MeilisearchInstances
from indexer.sync import BackgroundSync
from web import provider_pages
from web import routes as web_routes
from web.deps import STATIC_DIR
from web.no_store import NoStoreMiddleware
from web.threads import search_limiter

DESCRIPTION = """
Search CME activities registered for board Maintenance of Certification (MOC).

Only listed activities with at least one MOC registration that have not ended are public.
Filters are OR within a parameter (repeat it) and AND across parameters. Errors are
`application/problem+json`; invalid parameters are named in `errors`.
"""


def create_app(settings: Settings) -> FastAPI:
    """Build the app for these settings; configures logging (JSON lines at MOC_LOG_LEVEL)."""
    configure_logging(settings.log_level)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = make_engine(settings.catalog_url())
        migrate.check_schema(db)
        search_engine = make_search_engine(settings)
        app.state.engine = db
        app.state.settings = settings
        app.state.secret = (
            settings.secret_key.encode()
            if settings.secret_key
            else installation_secret(settings.data_dir)
        )
        app.state.search = make_search_service(db, search_engine, observe=metrics.search.observe)
        app.state.search_limiter = search_limiter()
        metrics.outbox.engine = db
        per_instance = None
        if isinstance(search_engine, MeilisearchInstances):
            per_instance = SearchInstancesCollector(db, search_engine)
            metrics.registry.register(per_instance)
        # The embedded engine makes one process a complete system: it syncs itself, unless
        # a separate `moc-catalog sync` owns the index writer (sync_in_app=false).
        background = None
        if settings.search_engine == "tantivy" and settings.sync_in_app:
            background = BackgroundSync(
                make_syncer(settings, db, search_engine), settings.sync_interval_s
            )
            background.start()
        app.state.background_sync = background
        yield
        if background:
            background.close()
        metrics.outbox.engine = None
        if per_instance is not None:
            metrics.registry.unregister(per_instance)
        search_engine.close()
        db.dispose()

    app = FastAPI(
        title="MOC Catalog",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc: install_api_docs, with assets from the package
        redoc_url=None,
        dependencies=[Depends(reject_repeated_parameters)],
    )
    app.state.metrics = metrics
    install_problem_handlers(app)
    app.openapi = document_limits(app.openapi)  # type: ignore[method-assign]
    app.openapi = document_examples(app.openapi)  # type: ignore[method-assign]
    # Added innermost first: limits, no-store for the provider pages (their refusals too),
    # gzip, CORS (so refusals carry CORS headers), then the request id, access log and
    # latency metrics, the security headers (on every answer, its 500s included), and
    # outermost the trusted proxies' client address and scheme, which every layer inside sees.
    app.add_middleware(LimitsMiddleware, settings=settings)
    app.add_middleware(NoStoreMiddleware)
    # Level 6, not Starlette's 9: about the same size for JSON at a fraction of the CPU.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    app.add_middleware(
        CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET"], max_age=3600
    )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ProxyHeadersMiddleware, proxies=TrustedProxies(settings.trusted_proxies))
    app.include_router(health.router)
    app.include_router(activities.router)
    app.include_router(catalog_info.router)
    install_api_docs(app)
    app.include_router(provider_api.router)
    app.include_router(provider_pages.router)
    app.include_router(web_routes.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn api.app:app_from_env --factory --workers N` (settings from MOC_*)."""
    return create_app(Settings())
