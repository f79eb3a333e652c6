"""Percentiles of latency samples, as every benchmark here reports them."""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile ``p`` (0-100) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def latency_ms(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of millisecond samples, to 0.01 ms."""
    summary = {f"p{p}_ms": round(percentile(values, p), 2) for p in (50, 95, 99)}
    return summary | {"max_ms": round(max(values), 2)}
