"""The benchmark tools stay usable: datasets are reproducible and import into a real catalog."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import pytest

from catalog import migrate
from catalog.db import make_engine, session_scope, sqlite_url
from catalog.repository import count_activities
from indexer.documents import TEXT_FIELDS
from indexer.query import parse_search
from indexer.vocabulary import FACET_FIELDS
from tests.reliability.live import unavailable

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_module(name: str) -> ModuleType:
    # Last on the path, so that bench/api.py never shadows the api package: bench scripts
    # import their siblings (rotation, percentiles) by name.
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_same_arguments_give_byte_identical_datasets(tmp_path: Path) -> None:
    dataset = bench_module("dataset")
    args = {"activities": 400, "seed": 3, "today": date(2026, 11, 22)}
    first = dataset.write_dataset(tmp_path / "a", **args)
    second = dataset.write_dataset(tmp_path / "b", **args)
    other = dataset.write_dataset(tmp_path / "c", **{**args, "seed": 4})
    assert first == second
    assert first["sha256"] != other["sha256"]
    files = [p.relative_to(tmp_path / "a") for p in dataset.dataset_files(tmp_path / "a")]
    assert files[0] == Path("providers.jsonl")
    assert len(files) == first["providers"] + 1
    lines = sum(len(p.read_text().splitlines()) for p in (tmp_path / "a/activities").iterdir())
    assert lines == 400
    manifest = json.loads((tmp_path / "a/manifest.json").read_text())
    assert manifest == first
    assert manifest["today"] == "2026-11-22"


def test_dataset_sizes_parse() -> None:
    dataset = bench_module("dataset")
    assert [dataset.parse_size(s) for s in ("10k", "100K", "1m", "2500")] == [
        10_000,
        100_000,
        1_000_000,
        2500,
    ]


def test_import_bench_loads_every_record(tmp_path: Path) -> None:
    dataset, imports = bench_module("dataset"), bench_module("imports")
    manifest = dataset.write_dataset(
        tmp_path / "data", activities=300, seed=5, today=date(2026, 11, 22)
    )
    db = make_engine(sqlite_url(tmp_path / "run"))
    migrate.upgrade(db)
    result = imports.run(tmp_path / "data", db)
    with session_scope(db) as session:
        stored = count_activities(session)
    db.dispose()
    assert result["records"] == stored == manifest["activities"] == 300
    assert result["files"] == manifest["providers"]


def test_rotation_holds_over_1000_distinct_typical_searches(tmp_path: Path) -> None:
    rotation = bench_module("rotation")
    searches = rotation.rotation()
    paths = rotation.rotation_paths()
    assert len(set(paths)) == len(paths) >= 1000
    for params in searches:
        query = parse_search(params)  # raises on any unknown or invalid parameter
        assert query.q  # a word, and every facet group (no facets parameter)
        assert "facets" not in params
        assert "page" not in params  # a page past the last answers 422
    assert rotation.rotation() == searches  # deterministic
    assert rotation.write_paths(tmp_path / "paths.txt") == len(paths)
    assert (tmp_path / "paths.txt").read_text().splitlines() == paths
    for path in rotation.COMPARED:
        parse_search(parse_qs(urlsplit(path).query))


def test_datasette_copy_holds_every_field_our_search_filters_and_matches() -> None:
    compare = bench_module("datasette_compare")
    assert set(FACET_FIELDS.values()) <= set(compare.COLUMNS)
    assert set(TEXT_FIELDS) <= set(compare.COLUMNS)


class Recorder(BaseHTTPRequestHandler):
    """200 for every path but /missing (404); remembers the paths asked for."""

    seen: set[str] = set()

    def do_GET(self) -> None:
        Recorder.seen.add(self.path)
        self.send_response(404 if self.path == "/missing" else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_wrk_script_reads_the_paths_file_and_counts_non_2xx_as_errors(
    tmp_path: Path, recorder: str
) -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        unavailable("the wrk script test needs wrk (Debian: apt-get install wrk)")
    paths = ["/api/v1/activities?q=a", "/api/v1/activities?q=b", "/missing"]
    (tmp_path / "paths.txt").write_text("\n".join(paths) + "\n")
    lua = BENCH / "wrk_report.lua"
    output = subprocess.run(
        [wrk, "-t2", "-c2", "-d1s", "-s", str(lua), recorder],
        env={
            "PATH": "/usr/bin:/bin",
            "PATHS_FILE": str(tmp_path / "paths.txt"),
            "WRK_THREADS": "2",
        },  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    assert found, output
    result = {k: float(v) for k, v in (pair.split("=") for pair in found.group(1).split())}
    assert result["paths"] == 3
    assert Recorder.seen == set(paths)
    assert result["requests"] > 3
    assert 0 < result["non2xx"] <= result["errors"]
    assert result["non2xx"] < result["requests"]


def test_targets_mark_each_figure_met_or_not() -> None:
    targets = bench_module("targets")
    summary = {
        "dataset": {"activities": 100_000},
        "api_w1": {
            "sequential": {"search": {"p50_ms": 4.0, "p95_ms": 12.0}, "ratio_p50": 3.0},
            "search": {"rps": 510.0, "errors": 2.0},
        },
        "reindex": {"documents_per_s": 12_000, "peak_rss_mb": 400},
    }
    rows = {row.label: row for row in targets.figures(summary)}
    assert rows["sequential search p50, 1 worker"].met is True
    assert rows["sequential search p95, 1 worker"].met is False
    assert rows["search p50 / healthz p50, same run, 1 worker"].met is True  # <= 3
    assert rows["wrk -c32 rotation, 1 worker: req/s"].met is True
    assert rows["wrk -c32 rotation, 1 worker: errors"].met is False
    assert rows["rebuild (moc-catalog reindex)"].met is True
    missing = rows["sequential search p99, 1 worker"]
    assert (missing.value, missing.met) == (None, None)
    assert rows["in-process search p95"].target == ""  # no target at 100k
    at_1m = {
        row.label: row for row in targets.figures(summary | {"dataset": {"activities": 10**6}})
    }
    assert at_1m["in-process search p95"].target == "<= 30 ms"
    assert at_1m["sequential search p95, 1 worker"].target == "<= 50 ms"
    assert at_1m["wrk -c32 rotation, 1 worker: req/s"].met is True  # >= 150
    assert "not met" in targets.markdown(list(rows.values()))
