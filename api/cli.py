"""The ``moc-catalog`` command line. Each command is a few lines calling catalog services."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine

from api.bootstrap import make_search_engine, make_syncer, rebuild
from api.observability import configure_logging
from api.progress import progress_bar
from api.settings import Settings
from catalog import migrate
from catalog.bulk import rare_collections
from catalog.db import make_engine, session_scope
from catalog.demo_load import load_demo
from catalog.errors import CatalogError
from catalog.importers import detect_format, read_records
from catalog.imports import ImportReport, run_import
from catalog.providers import add_provider, create_key, list_providers, revoke_keys
from catalog.repository import count_activities
from indexer.engines.base import SearchEngine
from indexer.errors import IndexOutdated, SearchError
from indexer.rebuild import count_indexable

app = typer.Typer(help="MOC Catalog: CME activities registered for MOC.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
providers_app = typer.Typer(help="Accredited providers and their API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(providers_app, name="providers")
err = Console(stderr=True)
DEMO_SIZE = 50_000
LARGE_FILE = 1_000_000  # bytes; smaller imports finish before a bar is worth drawing


def load_settings() -> Settings:
    """Read the settings once, naming the variable of any bad value."""
    try:
        return Settings()
    except ValidationError as exc:
        for e in exc.errors():
            name = "MOC_" + "_".join(str(p) for p in e["loc"]).upper()
            err.print(f"[red]error:[/] {name}: {e['msg']}")
        raise typer.Exit(2) from None


@contextmanager
def catalog_engine(*, upgrade: bool = False) -> Iterator[Engine]:
    """Open the catalog database; migrate it first when asked, else insist it is current."""
    engine = make_engine(load_settings().catalog_url())
    try:
        if upgrade:
            migrate.upgrade(engine)
        else:
            migrate.check_schema(engine)
        yield engine
    except CatalogError as exc:
        err.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the catalog database to the newest schema."""
    with catalog_engine(upgrade=True) as engine:
        where = engine.url.render_as_string()  # the password, if any, is masked
        err.print(f"catalog schema at {migrate.current_revision(engine)} ({where})")


@providers_app.command("add")
def providers_add(
    provider_id: Annotated[
        str, typer.Argument(metavar="ID", help="Provider id (A-Z a-z 0-9 . _ -).")
    ],
    name: Annotated[str, typer.Option("--name", help="The provider's public name.")],
    accreditor: Annotated[
        str,
        typer.Option(
            "--accreditor",
            help="Accrediting body: ACCME, JA (Joint Accreditation) or state:XX "
            "(the state medical society of XX).",
        ),
    ] = "ACCME",
) -> None:
    """Register an accredited provider."""
    with catalog_engine() as engine, session_scope(engine, write=True) as session:
        provider = add_provider(session, provider_id=provider_id, name=name, accreditor=accreditor)
        body = provider.accreditor
    err.print(f"provider {provider_id} added (accredited by {body})")


@providers_app.command("list")
def providers_list() -> None:
    """List every provider: id, name, active keys (their first characters), activities."""
    with catalog_engine() as engine, session_scope(engine) as session:
        providers = list_providers(session)
    typer.echo("id\tname\tactive keys\tactivities")
    for p in providers:
        keys = f"{len(p.key_prefixes)} ({', '.join(k + '…' for k in p.key_prefixes)})"
        shown = keys if p.key_prefixes else "0"
        typer.echo(f"{p.id}\t{p.name}\t{shown}\t{p.activities}")


@providers_app.command("key")
def providers_key(
    provider_id: Annotated[str, typer.Argument(metavar="ID", help="Provider id.")],
) -> None:
    """Print a new API key for a provider, once; only its hash is stored."""
    with catalog_engine() as engine, session_scope(engine, write=True) as session:
        key = create_key(session, provider_id=provider_id)
    typer.echo(key)
    err.print("Store this key now: it is not shown again.")


@providers_app.command("revoke")
def providers_revoke(
    provider_id: Annotated[str, typer.Argument(metavar="ID", help="Provider id.")],
    prefix: Annotated[
        str | None,
        typer.Option("--prefix", help="Revoke only the key starting with this (default: all)."),
    ] = None,
) -> None:
    """Revoke a provider's API keys: all of them, or the one starting with --prefix."""
    with catalog_engine() as engine, session_scope(engine, write=True) as session:
        count = revoke_keys(session, provider_id=provider_id, prefix=prefix)
    err.print(f"revoked {count} key(s) of {provider_id}")
    raise typer.Exit(0 if count else 1)


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    provider: Annotated[str, typer.Option("--provider", help="Provider id the records belong to.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="jsonl, csv, xlsx or xml (PARS batch); default from the extension."
        ),
    ] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="Write the valid records even if some are rejected.")
    ] = False,
) -> None:
    """Import a batch file of activities (all-or-nothing unless --partial)."""
    with catalog_engine() as engine:
        try:
            report = _run_import(engine, path, provider, detect_format(path, fmt), partial)
        except CatalogError as exc:
            err.print(f"[red]error:[/] {exc.message}; nothing was written")
            raise typer.Exit(2) from None
    for rejection in report.rejections:
        typer.echo(str(rejection))
    if report.rejections_total > len(report.rejections):
        err.print(
            f"the first {len(report.rejections):,} of {report.rejections_total:,} problems "
            "are listed"
        )
    written = report.ok or partial
    w = report.written
    summary = (
        f"{report.records} records: {report.accepted} accepted, {report.rejected_records} rejected"
    )
    if written:
        summary += f"; {w.created} created, {w.updated} updated, {w.unchanged} unchanged"
        if report.deleted:
            summary += f", {report.deleted} deleted"
    else:
        summary += "; nothing written (use --partial to write the valid records)"
    err.print(summary)
    raise typer.Exit(0 if report.ok else 1)


def _run_import(engine: Engine, path: Path, provider: str, fmt: str, partial: bool) -> ImportReport:
    size = path.stat().st_size
    with progress_bar(err, enabled=size > LARGE_FILE) as bar, path.open("rb") as raw:
        stream = bar.wrap_file(raw, total=size, description="Checking")
        return run_import(
            engine,
            provider_id=provider,
            records=read_records(stream, fmt),
            partial=partial,
            on_written=bar.counter("Writing"),
        )


@app.command("demo")
def demo(
    activities: Annotated[
        int, typer.Option(min=1, max=2_000_000, help="How many activities.")
    ] = DEMO_SIZE,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same catalog.")
    ] = 1,
) -> None:
    """Load a realistic demo catalog (through the same write path as imports) and index it."""
    settings = load_settings()
    with catalog_engine(upgrade=True) as engine, progress_bar(err, enabled=True) as bar:
        summary = load_demo(
            engine,
            activities=activities,
            seed=seed,
            today=date.today(),
            on_checked=bar.counter("Generating and checking", total=activities),
            on_written=bar.counter("Writing", total=activities),
        )
    err.print(
        f"demo catalog: {activities} activities ({summary.created} created, "
        f"{summary.updated} updated, {summary.unchanged} unchanged)"
    )
    with catalog_engine() as db, _search_engine(settings) as search, rare_collections():
        _rebuild(settings, db, search)


@app.command("sync")
def sync(
    once: Annotated[bool, typer.Option("--once", help="Drain the outbox once, then exit.")] = False,
) -> None:
    """Run the sync worker: apply catalog changes (the outbox) to the search index."""
    settings = load_settings()
    configure_logging(settings.log_level)  # a service: JSON log lines like the API's
    with catalog_engine() as db, _search_engine(settings) as engine:
        syncer = make_syncer(settings, db, engine)
        if once:
            err.print(f"applied {syncer.drain()} outbox rows")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        err.print(f"sync worker running against {engine.name} (Ctrl-C to stop)")
        try:
            syncer.run(stop, settings.sync_interval_s, on_batch=lambda n: err.print(f"applied {n}"))
        except KeyboardInterrupt:
            stop.set()


@app.command("reindex")
def reindex() -> None:
    """Rebuild the search index from the catalog and switch to it atomically."""
    settings = load_settings()
    with catalog_engine() as db, _search_engine(settings) as engine:
        _rebuild(settings, db, engine)


def _rebuild(settings: Settings, db: Engine, engine: SearchEngine) -> None:
    total = count_indexable(db)
    started = time.monotonic()
    with progress_bar(err, enabled=True) as bar:
        count = rebuild(settings, db, engine, bar.counter("Indexing", total=total))
    seconds = time.monotonic() - started
    err.print(f"indexed {count} activities in {seconds:.1f}s ({count / max(seconds, 1e-9):.0f}/s)")


@contextmanager
def _search_engine(settings: Settings) -> Iterator[SearchEngine]:
    try:
        engine = make_search_engine(settings)
    except (ValueError, SearchError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    try:
        yield engine
    except SearchError as exc:
        err.print(f"[red]error:[/] search engine: {exc}")
        raise typer.Exit(3) from None
    finally:
        engine.close()


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    with_demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo catalog first if the catalog is empty.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes. With the embedded engine and more than one, a separate sync "
            "process writes the index and the servers only read it.",
        ),
    ] = 1,
) -> None:
    """Serve the JSON API and the web pages."""
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    from api.app import create_app  # noqa: PLC0415

    settings = load_settings()
    with catalog_engine(upgrade=True) as engine:
        if with_demo and _catalog_is_empty(engine):
            demo(activities=DEMO_SIZE, seed=1)
        _rebuild_if_outdated(settings, engine)
    # Our request middleware logs each request once, as JSON: uvicorn's access log would add a
    # plain line per request, and its own log config plain-text startup lines, so both are off
    # and uvicorn's messages reach the JSON handler create_app installed. uvicorn's proxy
    # headers are off too: it would believe X-Forwarded-* from 127.0.0.1 whatever
    # MOC_TRUSTED_PROXIES says; the app applies that setting itself (api.proxies).
    if workers == 1:
        uvicorn.run(
            create_app(settings), host=host, port=port, log_level=settings.log_level.lower(),
            access_log=False, log_config=None, proxy_headers=False,
        )  # fmt: skip
        return
    with _sync_process(settings):
        # Each worker process builds its app from the environment (api.app:app_from_env).
        os.environ["MOC_SYNC_IN_APP"] = "false"
        uvicorn.run(
            "api.app:app_from_env", factory=True, workers=workers, host=host, port=port,
            log_level=settings.log_level.lower(), access_log=False, log_config=None,
            proxy_headers=False,
        )  # fmt: skip


def _rebuild_if_outdated(settings: Settings, db: Engine) -> None:
    """The embedded index is derived data: one an earlier version built (another schema) is
    rebuilt from the catalog before serving, rather than every search answering 503."""
    if settings.search_engine != "tantivy":
        return
    with _search_engine(settings) as engine:
        try:
            engine.ping()
        except IndexOutdated:
            err.print(
                "the search index was built by another version: rebuilding it from the catalog"
            )
            _rebuild(settings, db, engine)


@contextmanager
def _sync_process(settings: Settings) -> Iterator[None]:
    """With the embedded engine and several servers, one `moc-catalog sync` writes the index
    (one writer per index directory); Meilisearch deployments run their own sync worker."""
    if settings.search_engine != "tantivy" or not settings.sync_in_app:
        yield
        return
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "sync"])
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def _catalog_is_empty(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return count_activities(session) == 0


def main() -> None:
    """Entry point of the console script."""
    app(prog_name="moc-catalog")


if __name__ == "__main__":
    main()
