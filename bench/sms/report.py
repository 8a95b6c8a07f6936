"""Percentiles and the markdown summary of an Order SMS benchmark run."""

from __future__ import annotations

import math
from typing import Any


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}

    def rank(pct: float) -> float:
        return round(ordered[min(len(ordered), max(1, math.ceil(pct / 100 * len(ordered)))) - 1], 3)

    return {"p50": rank(50), "p90": rank(90), "p99": rank(99), "max": round(ordered[-1], 3)}


def markdown(result: dict[str, Any]) -> str:
    machine = result["machine"]
    phases = result["phases"]
    anchor = phases.get("anchor", {}).get("per_s")
    lines = [
        f"Order SMS benchmark, {machine['date']} "
        f"({machine['nproc']} cores, {machine['cpu_model']}; "
        f"load average {machine['load_average_at_start']} at start, "
        f"{result.get('load_average_at_end')} at end)",
        "",
        "| phase | offered | sent | drained | p50 s | p90 s | p99 s | max s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, phase in phases.items():
        if "latency_s" not in phase:
            continue
        lat = phase["latency_s"]
        lines.append(
            f"| {name} | {phase['orders']} in {phase['duration_s']} s | {phase['sent']} | "
            f"{phase['drained']} | {lat.get('p50')} | {lat.get('p90')} | {lat.get('p99')} | "
            f"{lat.get('max')} |"
        )
    backlog = phases.get("backlog", {})
    scaled = phases.get("backlog_scaled")
    lines += [
        "",
        f"Prefect's ceiling (empty task runs in one flow): {anchor} per s",
        f"Backlog of {backlog.get('orders')} orders sent at {backlog.get('per_s')} SMS per s"
        + (
            f" ({backlog['per_s'] / anchor:.2f}x the ceiling)"
            if anchor and backlog.get("per_s")
            else ""
        ),
    ]
    if scaled:
        lines.append(
            f"The same backlog with {scaled['runners']} runners: {scaled.get('per_s')} SMS per s"
        )
    return "\n".join(lines)
