"""Search benchmark with the embedded engine: query latency percentiles and full rebuild speed.

    python bench/search.py --data-dir var/bench --activities 100000 [--queries 500]
        [--no-rebuild] [--json result.json]

Loads a demo catalog into the data directory when it is empty (SQLite), rebuilds the tantivy
index (timed; --no-rebuild keeps the index bench/run.py built), then runs typical queries
in-process, one at a time: the searches of bench/rotation.py in turn (a word, a filter or two,
an order or a page size, every facet group), each timed one distinct after 20 warm-up ones. Prints
p50/p95/p99 in milliseconds and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from datetime import date
from pathlib import Path

from percentiles import percentile
from rotation import rotation

from catalog import migrate
from catalog.db import make_engine, session_scope, sqlite_url
from catalog.demo_load import load_demo
from catalog.repository import count_activities
from indexer.engines.tantivy import TantivyEngine
from indexer.query import parse_search
from indexer.rebuild import rebuild_index
from indexer.service import SearchService


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--no-rebuild", action="store_true", help="search the existing index")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    db = make_engine(sqlite_url(args.data_dir))
    migrate.upgrade(db)
    with session_scope(db) as session:
        empty = count_activities(session) == 0
    if empty:
        started = time.perf_counter()
        load_demo(db, activities=args.activities, seed=7, today=date.today())
        print(f"demo load: {args.activities} activities in {time.perf_counter() - started:.1f}s")
    engine = TantivyEngine(args.data_dir / "index")
    if not args.no_rebuild:
        started = time.perf_counter()
        docs = rebuild_index(db, engine, args.data_dir / "sync.lock")
        seconds = time.perf_counter() - started
        print(f"rebuild: {docs} documents in {seconds:.1f}s = {docs / seconds:.0f} docs/s")
    service = SearchService(engine)
    searches = rotation()
    timings, totals = [], []
    for i in range(args.queries + 20):
        params = searches[i % len(searches)]
        started = time.perf_counter()
        result = service.search(parse_search(params))
        elapsed = (time.perf_counter() - started) * 1000
        if i >= 20:  # warm-up excluded
            timings.append(elapsed)
            totals.append(result.total)
    summary = {
        "documents": engine.count(),
        "queries": len(timings),
        "distinct": min(args.queries, len(searches)),
        "facet_groups": len(result.facets),
        "p50_ms": round(percentile(timings, 50), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "p99_ms": round(percentile(timings, 99), 1),
        "mean_hits": round(statistics.mean(totals)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(
        f"typical query (q + filters + all {summary['facet_groups']} facet groups) over "
        f"{summary['documents']} documents, {summary['queries']} runs "
        f"({summary['distinct']} distinct): p50 {summary['p50_ms']} ms, "
        f"p95 {summary['p95_ms']} ms, p99 {summary['p99_ms']} ms, "
        f"mean hits {summary['mean_hits']}, peak RSS {summary['peak_rss_mb']} MB"
    )
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
