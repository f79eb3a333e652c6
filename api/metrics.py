"""Prometheus metrics, in a registry per app (so tests can build several apps).

Request latency per method, route template and status class (each a bounded set: no label
takes a value the client chooses), search latency, import record counts,
and the outbox depth and lag, read from the catalog on every scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from catalog import repository as repo
from catalog.db import session_scope

log = logging.getLogger(__name__)
T = TypeVar("T")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The method label's values: the client picks the method, so anything else is counted as
# OTHER, or each made-up method would be a new series (unbounded /metrics, slow scrapes).
METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


class OutboxCollector(Collector):
    """Outbox depth and the age of its oldest row, computed when scraped."""

    def __init__(self) -> None:
        self.engine: Engine | None = None  # set by the lifespan once the catalog is open

    def collect(self) -> Iterator[Metric]:
        if self.engine is None:
            return
        try:
            with session_scope(self.engine) as session:
                depth, oldest = repo.outbox_stats(session)
        except SQLAlchemyError:
            log.warning("outbox metrics unavailable: the catalog did not answer", exc_info=True)
            return
        lag = 0.0
        if oldest is not None:
            if oldest.tzinfo is None:  # SQLite gives back naive UTC
                oldest = oldest.replace(tzinfo=UTC)
            lag = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
        yield GaugeMetricFamily(
            "moc_outbox_depth", "Catalog changes not yet applied to the search index.", depth
        )
        yield GaugeMetricFamily(
            "moc_outbox_lag_seconds", "Age of the oldest change not yet indexed (0: none).", lag
        )


class Metrics:
    """Every metric of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "moc_http_request_duration_seconds",
            "HTTP request latency by route template and status class.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.search = Histogram(
            "moc_search_duration_seconds",
            "Latency of search engine queries (SearchService.search).",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.imports = Counter(
            "moc_import_records",
            "Batch import records by outcome (accepted or rejected).",
            ["result"],
            registry=self.registry,
        )
        self.outbox = OutboxCollector()
        self.registry.register(self.outbox)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """``route`` must be a template of the app's (never the raw path): see route_template."""
        label = method if method in METHODS else "OTHER"
        self.requests.labels(label, route, f"{status // 100}xx").observe(seconds)

    def count_import(self, accepted: int, rejected: int) -> None:
        self.imports.labels("accepted").inc(accepted)
        self.imports.labels("rejected").inc(rejected)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
