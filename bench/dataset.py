"""Reproducible benchmark datasets: provider batch files of demo activities at a given size.

    python bench/dataset.py --size 100k --out var/bench/data-100k [--seed 7] [--today 2026-11-22]

Writes `providers.jsonl` (id, name), `activities/<provider>.jsonl` (one Activity JSON record
per line, the format `moc-catalog import` reads) and `manifest.json` (size, seed, reference
date, counts and a SHA-256 over every file). The same size, seed and reference date give
byte-identical files on any machine, so a figure in docs/benchmarks.md can be reproduced.
The reference date places activity dates (past, running, upcoming); pass the one a result
was measured with, or activities that have since ended will drop out of the public catalog.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from catalog.demo import demo_activities, demo_providers

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
DEFAULT_SEED = 7
# The reference date of the published figures (docs/benchmarks.md).
DEFAULT_TODAY = date(2026, 11, 22)


def parse_size(text: str) -> int:
    """Accept 10k, 100k, 1m (any case) or a plain number of activities."""
    key = text.strip().lower()
    if key in SIZES:
        return SIZES[key]
    if key.isdigit() and int(key) > 0:
        return int(key)
    raise argparse.ArgumentTypeError(f"size must be one of {', '.join(SIZES)} or a number")


def write_dataset(out: Path, *, activities: int, seed: int, today: date) -> dict[str, Any]:
    """Write the dataset into ``out`` (which must be empty or absent); return the manifest."""
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} is not empty; pick a new directory")
    (out / "activities").mkdir(parents=True)
    providers = demo_providers(activities, seed)
    with (out / "providers.jsonl").open("w", encoding="utf-8") as handle:
        for provider in providers:
            handle.write(_line({"id": provider.id, "name": provider.name}))
    per_provider = _write_activities(out / "activities", activities, seed, today)
    manifest = {
        "activities": activities,
        "seed": seed,
        "today": today.isoformat(),
        "providers": len(providers),
        "largest_file": max(per_provider.values()),
        "sha256": digest(out),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_activities(folder: Path, activities: int, seed: int, today: date) -> dict[str, int]:
    # One open file per provider: at 1M activities that is 1000 handles, under the usual limit.
    handles: dict[str, IO[str]] = {}
    counts: dict[str, int] = {}
    try:
        for provider_id, record in demo_activities(activities, seed, today):
            if provider_id not in handles:
                handles[provider_id] = (folder / f"{provider_id}.jsonl").open("w", encoding="utf-8")
                counts[provider_id] = 0
            handles[provider_id].write(_line(record))
            counts[provider_id] += 1
    finally:
        for handle in handles.values():
            handle.close()
    return counts


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def dataset_files(root: Path) -> Iterator[Path]:
    """The data files of a dataset, in a fixed order (providers first, then by provider id)."""
    yield root / "providers.jsonl"
    yield from sorted((root / "activities").glob("*.jsonl"))


def digest(root: Path) -> str:
    """SHA-256 over the names and bytes of every data file (the manifest is not included)."""
    sha = hashlib.sha256()
    for path in dataset_files(root):
        sha.update(path.relative_to(root).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                sha.update(chunk)
    return sha.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, required=True, help="10k, 100k, 1m or N")
    parser.add_argument("--out", type=Path, required=True, help="an empty or new directory")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--today", type=date.fromisoformat, default=DEFAULT_TODAY, help="reference date"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    manifest = write_dataset(args.out, activities=args.size, seed=args.seed, today=args.today)
    seconds = time.perf_counter() - started
    print(
        f"{manifest['activities']} activities of {manifest['providers']} providers "
        f"(largest file {manifest['largest_file']}) in {seconds:.1f}s; "
        f"sha256 {manifest['sha256']}"
    )


if __name__ == "__main__":
    main()
