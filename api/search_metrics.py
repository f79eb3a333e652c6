"""Per-index sync progress and reachability, for a worker that feeds several indexes.

Read when scraped: each queue's depth and the age of its oldest change from the catalog, and
whether each Meilisearch instance answers. Exposed by every API process, which is where a
load balancer and Prometheus look; the worker serves no HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from catalog import search_queue as queues
from catalog.db import session_scope
from indexer.engines.meilisearch_instances import MeilisearchInstances

log = logging.getLogger(__name__)


class SearchInstancesCollector(Collector):
    """moc_search_queue_depth/_lag_seconds per index, moc_search_instance_up per instance."""

    def __init__(self, db: Engine, engine: MeilisearchInstances) -> None:
        self.db = db
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "moc_search_instance_up", "Whether a Meilisearch instance answers.", labels=["url"]
        )
        for url, answers in self.engine.statuses().items():
            up.add_metric([url], 1.0 if answers else 0.0)
        yield up
        try:
            with session_scope(self.db) as session:
                stats = queues.queue_stats(session)
        except SQLAlchemyError:
            log.warning("search queue metrics unavailable: the catalog did not answer")
            return
        depth = GaugeMetricFamily(
            "moc_search_queue_depth",
            "Catalog changes one search index has not yet taken.",
            labels=["target"],
        )
        lag = GaugeMetricFamily(
            "moc_search_queue_lag_seconds",
            "Age of the oldest change one search index has not yet taken (0: none).",
            labels=["target"],
        )
        now = datetime.now(UTC)
        for engine in self.engine.engines:
            rows, oldest = stats.get(engine.target, (0, None))
            depth.add_metric([engine.target], float(rows))
            if oldest is not None and oldest.tzinfo is None:  # SQLite gives back naive UTC
                oldest = oldest.replace(tzinfo=UTC)
            age = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
            lag.add_metric([engine.target], age)
        yield depth
        yield lag
