"""Meilisearch beside tantivy on the same demo catalog: indexing, latency, throughput, and the
same totals and facet counts for the same typical searches.

    python bench/engines.py --data-dir var/bench [--activities 100000] [--queries 300]
        [--meili-binary PATH] [--wrk-seconds 15] [--json result.json]

Loads the demo catalog (seed 7, as bench/search.py) when the data directory is empty and
builds its tantivy index when it has none. Starts a Meilisearch server on loopback (the test
build that scripts/test-meilisearch.sh fetches, unless --meili-binary names another), creates
the documented keys, and times `moc-catalog reindex` into it. Then serves the catalog twice:
`moc-catalog serve` with tantivy, and `moc-catalog serve` with MOC_SEARCH_ENGINE=meilisearch
beside a separate `moc-catalog sync`, and asks both the same typical searches over HTTP:
every total and every facet count must be equal (exit 1 otherwise). Finally the in-process
latency of the bench/search.py query mix on each engine, and bench/api.py (wrk) against
each served app when --wrk-seconds > 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from catalog import migrate
from catalog.db import make_engine, session_scope, sqlite_url
from catalog.demo_load import load_demo
from catalog.repository import count_activities
from indexer.engines.base import SearchEngine
from indexer.engines.meilisearch import MeilisearchEngine
from indexer.engines.meilisearch_keys import SEARCH_KEY, SYNC_KEY
from indexer.engines.tantivy import TantivyEngine
from indexer.query import parse_search
from indexer.rebuild import rebuild_index
from indexer.service import SearchService
from indexer.vocabulary import FACET_GROUPS

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
FETCHED = REPO / ".cache" / "meilisearch" / "1.21.0" / "meilisearch"
CLI = [sys.executable, "-m", "api.cli"]
sys.path.insert(0, str(BENCH))
from percentiles import percentile  # noqa: E402
from rotation import FILTERS as ALL_FILTERS  # noqa: E402
from rotation import WORDS as ALL_WORDS  # noqa: E402

# The words and filters this comparison was published with (docs/benchmarks.md: 91 searches).
WORDS, FILTERS = ALL_WORDS[:14], ALL_FILTERS[:5]


def typical_searches() -> list[dict[str, list[str]]]:
    """Every word with every filter, each filter alone, and no filter at all."""
    searches: list[dict[str, list[str]]] = [{}]
    searches += [dict(f) for f in FILTERS]
    searches += [{"q": [w], **f} for w in WORDS for f in [{}, *FILTERS]]
    searches += [{"sort": ["points"], "board": ["ABIM"], "page": ["3"]}]
    return searches


@contextmanager
def meilisearch(binary: Path, work: Path) -> Iterator[tuple[str, str]]:
    """A server on a free loopback port; yields (url, master key)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    master = uuid.uuid4().hex
    url = f"http://127.0.0.1:{port}"
    command = [str(binary), "--db-path", str(work / "data.ms"), "--http-addr",
               f"127.0.0.1:{port}", "--master-key", master, "--no-analytics",
               "--log-level", "WARN"]  # fmt: skip
    with (work / "meilisearch.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(url + "/health")
        yield url, master
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def request(url: str, key: str, method: str = "GET", body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=60) as answer:
        return json.loads(answer.read())


@contextmanager
def served(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    args = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(args, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def answer(base: str, params: dict[str, list[str]]) -> dict[str, Any]:
    query = urllib.parse.urlencode([(k, v) for k, vs in params.items() for v in vs])
    with urllib.request.urlopen(f"{base}/api/v1/activities?{query}", timeout=60) as response:
        body = json.loads(response.read())
    facets = {g: [(f["value"], f["count"]) for f in values] for g, values in body["facets"].items()}
    return {"total": body["total"], "facets": facets}


def latency(engine: SearchEngine, queries: int) -> dict[str, float]:
    service = SearchService(engine)
    rng = random.Random(1)
    timings = []
    for i in range(queries + 20):
        params = {"q": [rng.choice(WORDS)], **rng.choice(FILTERS)}
        started = time.perf_counter()
        service.search(parse_search(params))
        if i >= 20:
            timings.append((time.perf_counter() - started) * 1000)
    return {f"p{p}_ms": round(percentile(timings, p), 1) for p in (50, 95, 99)}


def wrk(env: dict[str, str], data_dir: Path, seconds: int, out: Path) -> dict[str, Any]:
    args = [sys.executable, str(BENCH / "api.py"), "--data-dir", str(data_dir),
            "--seconds", str(seconds), "--json", str(out)]  # fmt: skip
    subprocess.run(args, env=env, cwd=REPO, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def main() -> None:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--meili-binary", type=Path, default=FETCHED)
    parser.add_argument("--wrk-seconds", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    db = make_engine(sqlite_url(data_dir))
    migrate.upgrade(db)
    with session_scope(db) as session:
        if count_activities(session) == 0:
            load_demo(db, activities=args.activities, seed=7, today=date.today())
    tantivy = TantivyEngine(data_dir / "index")
    summary: dict[str, Any] = {}
    if tantivy.count() == 0:
        started = time.perf_counter()
        docs = rebuild_index(db, tantivy, data_dir / "sync.lock")
        summary["tantivy_reindex_docs_per_s"] = round(docs / (time.perf_counter() - started))
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="meili-bench-")))
        url, master = stack.enter_context(meilisearch(args.meili_binary, work))
        summary["meilisearch_version"] = request(url + "/version", master)["pkgVersion"]
        keys = {s.name: request(url + "/keys", master, "POST", s.request())["key"]
                for s in (SEARCH_KEY, SYNC_KEY)}  # fmt: skip
        base = {k: v for k, v in os.environ.items() if not k.startswith("MOC_")}
        base |= {"MOC_DATA_DIR": str(data_dir), "MOC_LOG_LEVEL": "WARNING",
                 "MOC_RATE_LIMIT_PER_MINUTE": "0", "MOC_SYNC_IN_APP": "false"}  # fmt: skip
        meili = base | {"MOC_SEARCH_ENGINE": "meilisearch", "MOC_MEILI_URL": url}
        started = time.perf_counter()
        done = subprocess.run([*CLI, "reindex"], env=meili | {"MOC_MEILI_KEY": keys["moc-sync"]},
                              cwd=REPO, capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"meilisearch reindex failed:\n{done.stderr[-2000:]}")
        seconds = time.perf_counter() - started
        count = MeilisearchEngine(url, keys["moc-sync"]).count()
        summary["meilisearch_reindex_s"] = round(seconds, 1)
        summary["meilisearch_reindex_docs_per_s"] = round(count / seconds)
        summary["documents"] = {"tantivy": tantivy.count(), "meilisearch": count}
        print(f"meilisearch reindex: {count} documents in {seconds:.1f}s", flush=True)

        sync_log = (work / "sync.log").open("wb")
        worker = subprocess.Popen([*CLI, "sync"], env=meili | {"MOC_MEILI_KEY": keys["moc-sync"]},
                                  cwd=REPO, stdout=sync_log, stderr=subprocess.STDOUT)  # fmt: skip
        stack.callback(worker.wait, 30)
        stack.callback(worker.terminate)
        apps = {
            "tantivy": stack.enter_context(served(base, 18301, work / "tantivy.log")),
            "meilisearch": stack.enter_context(
                served(meili | {"MOC_MEILI_KEY": keys["moc-search"]}, 18302, work / "meili.log")
            ),
        }
        mismatches = []
        searches = typical_searches()
        for params in searches:
            answers = {name: answer(base_url, params) for name, base_url in apps.items()}
            if answers["tantivy"] != answers["meilisearch"]:
                mismatches.append({"params": params, **answers})
        summary["same_answers"] = f"{len(searches) - len(mismatches)}/{len(searches)}"
        summary["facet_groups"] = len(FACET_GROUPS)
        print(f"same totals and facet counts: {summary['same_answers']} searches", flush=True)
        for engine_name, engine in (("tantivy", tantivy), ("meilisearch", None)):
            search_engine = engine or MeilisearchEngine(url, keys["moc-search"])
            summary[f"{engine_name}_latency"] = latency(search_engine, args.queries)
            print(engine_name, summary[f"{engine_name}_latency"], flush=True)
        if args.wrk_seconds:
            for name, env in (
                ("tantivy", base),
                ("meilisearch", meili | {"MOC_MEILI_KEY": keys["moc-search"]}),
            ):
                summary[f"{name}_http"] = wrk(env, data_dir, args.wrk_seconds,
                                              work / f"wrk-{name}.json")  # fmt: skip
        summary["mismatches"] = mismatches[:5]
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if mismatches:
        raise SystemExit(f"{len(mismatches)} searches answered differently")


if __name__ == "__main__":
    main()
