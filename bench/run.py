"""Every benchmark at one size, from a reproducible dataset, with one summary.

    python bench/run.py --size 100k [--work var/bench] [--postgres-url postgresql://...]
        [--workers 1,2] [--requests 1000] [--connections 32] [--seconds 30]
        [--write-rate 20] [--write-seconds 30] [--skip-datasette] [--skip-freshness]

Steps, each in its own process so that its peak memory is its own:
  1. dataset   bench/dataset.py (skipped when the dataset directory exists and matches)
  2. import    bench/imports.py into a new SQLite catalog (and PostgreSQL with --postgres-url)
  3. reindex   `moc-catalog reindex` of that catalog into the tantivy index (docs/s, peak RSS)
  4. search    bench/search.py: typical searches in-process, one at a time
  5. api-wN    bench/api.py against `moc-catalog serve --workers N`, for each N of --workers:
               sequential searches beside /healthz, wrk over the rotation, server RSS
  6. datasette bench/datasette_compare.py: the same faceted full-text queries side by side
  7. freshness bench/freshness.py: provider write -> searchable under steady writes
Results go to <work>/run-<size>/results/*.json. A step whose result is already there is not
run again (--fresh starts over), so an interrupted run can be resumed. At the end the figures
of issue 17's target table are printed, each beside its target (those of 1M from --size 1m,
else those of 100k) and marked met or not met.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from targets import figures, markdown

BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
CLI = str(Path(PYTHON).with_name("moc-catalog"))


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: int
    output: str


def measure(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run a command to completion; return its wall time and the peak RSS of that process."""
    print("$", " ".join(command), flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # the CLI reports on stderr
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    # wait4 gives this child's own resource usage (getrusage(RUSAGE_CHILDREN) would give
    # the largest of all children so far).
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    print(output, end="", flush=True)
    if process.returncode != 0:
        raise SystemExit(f"{command[1]} failed with exit code {process.returncode}")
    return Measured(round(seconds, 1), round(usage.ru_maxrss / 1024), output)


def folder_mb(path: Path) -> int:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20)


def ensure_dataset(size: str, root: Path) -> Path:
    dataset = root / f"data-{size}"
    if not (dataset / "manifest.json").exists():
        shutil.rmtree(dataset, ignore_errors=True)
        measure([PYTHON, str(BENCH / "dataset.py"), "--size", size, "--out", str(dataset)])
    return dataset


def step_import(dataset: Path, run: Path, results: Path, url: str | None) -> dict[str, Any]:
    name = "import-postgresql" if url else "import-sqlite"
    if (results / f"{name}.json").exists():
        return load(results / f"{name}.json")
    command = [PYTHON, str(BENCH / "imports.py"), "--dataset", str(dataset), "--data-dir",
               str(run), "--json", str(results / f"{name}.json")]  # fmt: skip
    measure(command + (["--database-url", url] if url else []))
    return load(results / f"{name}.json")


def step_reindex(run: Path, results: Path) -> dict[str, Any]:
    if (results / "reindex.json").exists():
        return load(results / "reindex.json")
    done = measure([CLI, "reindex"], {"MOC_DATA_DIR": str(run), "MOC_LOG_LEVEL": "WARNING"})
    found = re.search(r"indexed (\d+) activities in ([\d.]+)s", done.output)
    documents, indexing = (int(found.group(1)), float(found.group(2))) if found else (0, 0.0)
    result = {
        "documents": documents,
        "seconds": done.seconds,  # the whole command, start-up included
        "documents_per_s": round(documents / done.seconds),
        # What the command reports: reading the catalog and indexing, without start-up.
        "indexing_documents_per_s": round(documents / max(indexing, 0.1)),
        "peak_rss_mb": done.peak_rss_mb,
        "index_mb": folder_mb(run / "index"),
        "catalog_mb": round((run / "catalog.db").stat().st_size / 2**20),
    }
    save(results / "reindex.json", result)
    return result


def step_script(
    script: str, run: Path, results: Path, *extra: str, name: str | None = None
) -> dict[str, Any]:
    out = results / f"{name or Path(script).stem}.json"
    if out.exists():
        return load(out)
    measure([PYTHON, str(BENCH / script), "--data-dir", str(run), "--json", str(out), *extra])
    return load(out)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def save(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", required=True, help="10k, 100k, 1m or a number")
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--postgres-url", help="an empty PostgreSQL database for the import")
    parser.add_argument("--workers", default="1,2", help="server processes to measure, e.g. 1,2")
    parser.add_argument("--requests", default="1000", help="sequential searches over HTTP")
    parser.add_argument("--connections", default="32")
    parser.add_argument("--seconds", default="30", help="each wrk run")
    parser.add_argument("--write-rate", default="20", help="provider writes a second")
    parser.add_argument("--write-seconds", default="30")
    parser.add_argument("--skip-datasette", action="store_true")
    parser.add_argument("--skip-freshness", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="delete an earlier run first")
    args = parser.parse_args()
    dataset = ensure_dataset(args.size, args.work)
    run = args.work / f"run-{args.size}"
    if args.fresh:
        shutil.rmtree(run, ignore_errors=True)
    results = run / "results"
    results.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"size": args.size, "dataset": load(dataset / "manifest.json")}
    summary["import_sqlite"] = step_import(dataset, run, results, None)
    if args.postgres_url:
        summary["import_postgresql"] = step_import(dataset, run, results, args.postgres_url)
    summary["reindex"] = step_reindex(run, results)
    summary["search"] = step_script("search.py", run, results, "--no-rebuild")
    for workers in args.workers.split(","):
        summary[f"api_w{workers}"] = step_script(
            "api.py", run, results, "--workers", workers, "--requests", args.requests,
            "--connections", args.connections, "--seconds", args.seconds, name=f"api-w{workers}",
        )  # fmt: skip
    if not args.skip_datasette:
        summary["datasette"] = step_script("datasette_compare.py", run, results)
    if not args.skip_freshness:
        summary["freshness"] = step_script(
            "freshness.py", run, results, "--rate", args.write_rate, "--seconds", args.write_seconds
        )
    table = figures(summary)
    summary["targets"] = [asdict(row) for row in table]
    save(results / "summary.json", summary)
    scale = "1M" if summary["dataset"]["activities"] >= 1_000_000 else "100k"
    print(f"\nIssue 17, --size {args.size}, beside the targets at {scale} ({results}/*.json)\n")
    print(markdown(table))


if __name__ == "__main__":
    main()
