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
    lines += _held_lines(phases)
    return "\n".join(lines)


def _held(phase: dict[str, Any], offered: str) -> str:
    verdict = "held" if phase["per_s_in_window"] >= 0.95 * phase["rate"] else "not held"
    return (
        f"{phase['rate']:g} {offered}/s offered for {phase['duration_s']} s: "
        f"{phase['per_s_in_window']} per s completed meanwhile ({verdict})"
    )


def cpu_line(what: str, used: dict[str, Any]) -> str:
    """`runner + Prefect server + PostgreSQL (by database) = all-in`, ms per unit."""
    if not used:
        return f"{what}: no CPU measured"
    by_db = ", ".join(f"{name} {ms}" for name, ms in used["postgres_by_db_ms"].items())
    return (
        f"{what}: {used['client_ms']} client + {used['prefect_server_ms']} Prefect server + "
        f"{used['postgres_ms']} PostgreSQL ({by_db}) = **{used['all_in_ms']} ms all-in** "
        f"over {used['units']} in {used['window_s']} s"
    )


def _held_lines(phases: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    sms, anchor = phases.get("sustained"), phases.get("anchor_held")
    if anchor:
        anchor = {**anchor, "per_s_in_window": anchor["per_s"]}
        lines.append("Anchor held: " + _held(anchor, "empty task runs"))
    if sms and "per_s_in_window" in sms:
        lines.append(
            f"SMS sustained (DUKA_SMS_PROCESSES={sms.get('processes')}): " + _held(sms, "orders")
        )
    if sms and anchor and anchor["per_s"]:
        ratio = sms["per_s_in_window"] / anchor["per_s"]
        lines.append(f"**SMS sustained / anchor held: {ratio:.2f}x** (target 0.8x)")
    for name, key, what in (
        ("backlog", "cpu_all_in", "CPU per SMS, backlog until the server caught up"),
        ("sustained", "cpu_all_in", "CPU per SMS, sustained window (order inserts included)"),
        ("sustained", "cpu_all_in_caught_up", "CPU per SMS, sustained until caught up"),
        ("anchor_held", "cpu_all_in", "CPU per empty task run, anchor held window"),
        ("anchor_held", "cpu_all_in_caught_up", "CPU per empty task run, until caught up"),
    ):
        if key in phases.get(name, {}):
            lines.append(cpu_line(what, phases[name][key]))
    return lines


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
