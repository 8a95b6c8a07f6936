"""Latency summaries shared by the load generators (all times in microseconds)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypedDict


class LatencySummary(TypedDict):
    count: int
    min: float
    mean: float
    p50: float
    p90: float
    p99: float
    p999: float
    max: float


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (what wrk and HdrHistogram report)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def summarize(values_us: Sequence[float]) -> LatencySummary:
    ordered = sorted(values_us)
    count = len(ordered)
    return LatencySummary(
        count=count,
        min=float(ordered[0]) if ordered else math.nan,
        mean=sum(ordered) / count if count else math.nan,
        p50=percentile(ordered, 50),
        p90=percentile(ordered, 90),
        p99=percentile(ordered, 99),
        p999=percentile(ordered, 99.9),
        max=float(ordered[-1]) if ordered else math.nan,
    )


def in_ms(summary: LatencySummary) -> dict[str, float]:
    values: dict[str, float] = {
        "min": summary["min"],
        "mean": summary["mean"],
        "p50": summary["p50"],
        "p90": summary["p90"],
        "p99": summary["p99"],
        "p999": summary["p999"],
        "max": summary["max"],
    }
    return {k: v / 1000 for k, v in values.items()}
