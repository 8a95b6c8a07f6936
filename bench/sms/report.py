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
    anchor_cpu = phases.get("anchor", {}).get("cpu_ms")
    lines += [
        "",
        f"Prefect's ceiling (empty task runs in one flow): {anchor} per s, "
        f"{anchor_cpu} ms of CPU per task run",
    ]
    for name in ("backlog", "backlog_scaled"):
        if name in phases:
            lines.append(_backlog_line(phases[name], anchor, anchor_cpu))
    if "sustained" in phases:
        processes = phases["sustained"].get("processes")
        lines.append(f"Sustained check with DUKA_SMS_PROCESSES={processes}")
    return "\n".join(lines)


def _backlog_line(phase: dict[str, Any], anchor: float | None, anchor_cpu: float | None) -> str:
    rate, runner_cpu = phase.get("per_s"), phase.get("runner_cpu_ms_per_sms")
    line = (
        f"Backlog of {phase.get('orders')} orders, DUKA_SMS_PROCESSES={phase.get('processes')}: "
        f"{rate} SMS per s"
    )
    if anchor and rate:
        line += f" ({rate / anchor:.2f}x the ceiling)"
    if runner_cpu:
        line += f"; runner CPU {runner_cpu} ms per SMS"
        if anchor_cpu:
            line += f" ({anchor_cpu / runner_cpu:.2f}x the anchor's per task run)"
        line += f", Prefect server CPU {phase.get('server_cpu_ms_per_sms')} ms per SMS"
    return line
