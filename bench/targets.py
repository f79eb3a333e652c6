"""Issue 17's target table: every figure of a bench/run.py summary beside its target.

The targets are those of 100k activities unless the run was at 1M or more; a figure the
issue sets no target for at that size is printed without one.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

AT_MOST, AT_LEAST = "<=", ">="
COMPARE: Mapping[str, Callable[[float, float], bool]] = {
    AT_MOST: operator.le,
    AT_LEAST: operator.ge,
}
MB_PER_GIB = 1024


@dataclass(frozen=True)
class Spec:
    """One row: where its figure is in the summary, and its target at 100k and at 1M."""

    label: str
    path: str  # dotted keys into the summary; {w} is a worker count
    unit: str
    at_100k: tuple[str, float] | None = None
    at_1m: tuple[str, float] | None = None


@dataclass
class Figure:
    label: str
    value: float | None  # None: the step was skipped
    unit: str
    target: str
    met: bool | None  # None: no target at this size, or not measured


PER_WORKERS = [
    Spec("sequential search p50, {w} {workers}", "api_w{w}.sequential.search.p50_ms", "ms",
         (AT_MOST, 5)),
    Spec("sequential search p95, {w} {workers}", "api_w{w}.sequential.search.p95_ms", "ms",
         (AT_MOST, 10), (AT_MOST, 50)),
    Spec("sequential search p99, {w} {workers}", "api_w{w}.sequential.search.p99_ms", "ms",
         (AT_MOST, 20)),
    Spec("sequential /healthz p50, {w} {workers}", "api_w{w}.sequential.healthz.p50_ms", "ms"),
    Spec("search p50 / healthz p50, same run, {w} {workers}", "api_w{w}.sequential.ratio_p50",
         "x", (AT_MOST, 3)),
    Spec("wrk -c32 rotation, {w} {workers}: req/s", "api_w{w}.search.rps", "req/s",
         (AT_LEAST, 500), (AT_LEAST, 150)),
    Spec("wrk -c32 rotation, {w} {workers}: p99", "api_w{w}.search.p99_ms", "ms",
         (AT_MOST, 100)),
    Spec("wrk -c32 rotation, {w} {workers}: errors", "api_w{w}.search.errors", "",
         (AT_MOST, 0)),
    Spec("wrk -c32 rotation, {w} {workers}: distinct searches", "api_w{w}.search.paths", "",
         (AT_LEAST, 1000), (AT_LEAST, 1000)),
    Spec("wrk -c32 /healthz, {w} {workers}: req/s", "api_w{w}.floor.rps", "req/s"),
    Spec("server peak RSS, {w} {workers}, processes summed", "api_w{w}.server_peak_rss_mb",
         "MB", (AT_MOST, 300), (AT_MOST, MB_PER_GIB)),
    # Pages shared by the processes counted once (at the end of the run, not the peak).
    Spec("server PSS at the end, {w} {workers}, processes summed", "api_w{w}.server_pss_mb",
         "MB"),
]  # fmt: skip
ONCE = [
    Spec("ours / Datasette p50", "datasette.all.ratio_p50", "x", (AT_MOST, 0.015)),
    Spec("in-process search p50", "search.p50_ms", "ms"),
    Spec("in-process search p95", "search.p95_ms", "ms", None, (AT_MOST, 30)),
    Spec("rebuild (moc-catalog reindex)", "reindex.documents_per_s", "docs/s",
         (AT_LEAST, 10_000), (AT_LEAST, 10_000)),
    Spec("rebuild, indexing alone (the command's own figure)",
         "reindex.indexing_documents_per_s", "docs/s"),
    Spec("rebuild peak RSS", "reindex.peak_rss_mb", "MB", (AT_MOST, MB_PER_GIB),
         (AT_MOST, MB_PER_GIB)),
    Spec("write -> searchable p50", "freshness.searchable.p50_ms", "ms"),
    Spec("write -> searchable p95", "freshness.searchable.p95_ms", "ms", (AT_MOST, 500)),
    Spec("write -> searchable max", "freshness.searchable.max_ms", "ms"),
    Spec("writes failed or never searchable (implied: 0)", "freshness.lost", "",
         (AT_MOST, 0)),
    # Not the issue's: whether the writes really came at the rate asked (20 a second).
    Spec("write rate achieved / asked", "freshness.rate_share", "x", (AT_LEAST, 0.95),
         (AT_LEAST, 0.95)),
]  # fmt: skip


def figures(summary: Mapping[str, Any]) -> list[Figure]:
    """Every row of the table for the worker counts measured, in the order of the issue."""
    at_1m = summary["dataset"]["activities"] >= 1_000_000
    summary = with_derived(summary)
    workers = sorted(int(key.removeprefix("api_w")) for key in summary if key.startswith("api_w"))
    specs = [
        Spec(label(s.label, w), s.path.format(w=w), s.unit, s.at_100k, s.at_1m)
        for s in PER_WORKERS
        for w in workers
    ]
    return [figure(spec, summary, at_1m) for spec in [*specs, *ONCE]]


def label(template: str, workers: int) -> str:
    return template.format(w=workers, workers="worker" if workers == 1 else "workers")


def with_derived(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The summary plus figures the steps do not write as such: Datasette's pooled row, the
    writes lost."""
    out = dict(summary)
    if "datasette" in summary:
        pooled = [q for q in summary["datasette"]["queries"] if q["query"] == "**all**"]
        out["datasette"] = {**summary["datasette"], "all": pooled[0]["stats"]}
    if "freshness" in summary:
        fresh = summary["freshness"]
        out["freshness"] = {
            **fresh,
            "lost": fresh["failed_puts"] + fresh["never_appeared"],
            "rate_share": fresh["writes_per_s"] / fresh["rate"],
        }
    return out


def figure(spec: Spec, summary: Mapping[str, Any], at_1m: bool) -> Figure:
    value = lookup(summary, spec.path)
    target = spec.at_1m if at_1m else spec.at_100k
    shown = f"{target[0]} {target[1]:g} {spec.unit}".strip() if target else ""
    met = None if target is None or value is None else COMPARE[target[0]](value, target[1])
    return Figure(spec.label, value, spec.unit, shown, met)


def lookup(summary: Mapping[str, Any], path: str) -> float | None:
    node: Any = summary
    for key in path.split("."):
        if not isinstance(node, Mapping) or node.get(key) is None:
            return None
        node = node[key]
    return float(node)


def markdown(rows: list[Figure]) -> str:
    lines = ["| figure | measured | target | |", "| --- | ---: | ---: | --- |"]
    for row in rows:
        value = "not measured" if row.value is None else f"{row.value:,.3g} {row.unit}".strip()
        if row.value is not None and abs(row.value) >= 1000:
            value = f"{row.value:,.0f} {row.unit}".strip()
        verdict = {True: "met", False: "**not met**", None: ""}[row.met]
        lines.append(f"| {row.label} | {value} | {row.target} | {verdict} |")
    return "\n".join(lines)
