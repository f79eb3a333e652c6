"""Import throughput: load a bench/dataset.py dataset into an empty catalog, file by file.

    python bench/imports.py --dataset var/bench/data-100k --data-dir var/bench/run-100k \
        [--database-url postgresql://...] [--json result.json]

Each provider file goes through the path `moc-catalog import` takes (JSONL reader, rules,
all-or-nothing upsert with one outbox row per change, one transaction per file), in one
process so that 1,000 files do not pay 1,000 interpreter start-ups. The catalog is SQLite in
the data directory unless --database-url names an empty PostgreSQL database.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from catalog import migrate
from catalog.db import make_engine, session_scope, sqlite_url
from catalog.importers import read_records
from catalog.imports import import_records
from catalog.providers import add_provider
from catalog.repository import count_activities


def add_providers(db: Engine, dataset: Path) -> int:
    lines = (dataset / "providers.jsonl").read_text(encoding="utf-8").splitlines()
    with session_scope(db, write=True) as session:
        for line in lines:
            provider = json.loads(line)
            add_provider(session, provider_id=provider["id"], name=provider["name"])
    return len(lines)


def import_file(db: Engine, path: Path) -> int:
    with path.open("rb") as stream, session_scope(db, write=True) as session:
        report = import_records(
            session, provider_id=path.stem, records=read_records(stream, "jsonl")
        )
    if not report.ok:
        raise SystemExit(f"{path}: {report.rejections[0]}")
    return report.accepted


def run(dataset: Path, db: Engine) -> dict[str, Any]:
    with session_scope(db) as session:
        if count_activities(session):
            raise SystemExit("the catalog is not empty; use a new data directory or database")
    add_providers(db, dataset)
    files = sorted((dataset / "activities").glob("*.jsonl"))
    started = time.perf_counter()
    records = sum(import_file(db, path) for path in files)
    seconds = time.perf_counter() - started
    return {
        "files": len(files),
        "records": records,
        "seconds": round(seconds, 1),
        "records_per_s": round(records / seconds),
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    db = make_engine(args.database_url or sqlite_url(args.data_dir))
    migrate.upgrade(db)
    result = {"backend": db.dialect.name, **run(args.dataset, db)}
    db.dispose()
    print(
        f"import ({result['backend']}): {result['records']} records in {result['files']} files, "
        f"{result['seconds']}s = {result['records_per_s']} records/s, "
        f"peak RSS {result['peak_rss_mb']} MB"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
