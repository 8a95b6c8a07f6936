"""The markdown summary of a bench.prefect_history run: each figure empty vs filled, and
whether it met the target (filled at most 10% slower)."""

from __future__ import annotations

from typing import Any

TARGET = 1.10


def _ratio(filled: float | None, empty: float | None) -> float | None:
    if not filled or not empty:
        return None
    return round(filled / empty, 2)


def _verdict(ratio: float | None) -> str:
    if ratio is None:
        return "n/a"
    return "met" if ratio <= TARGET else "missed"


def markdown(result: dict[str, Any]) -> str:
    machine = result["machine"]
    empty, filled = result["phases"]["empty"], result["phases"]["filled"]
    fill = result.get("fill", {})
    lines = [
        f"Prefect history benchmark, {machine['date']} ({machine['nproc']} cores, "
        f"{machine['cpu_model']}; load average {machine['load_average_at_start']} at start, "
        f"{result.get('load_average_at_end')} at end), commit {machine.get('commit')}",
        "",
        f"Task runs while the calls were timed: {empty['task_runs']:,} empty, "
        f"{filled['task_runs']:,} filled "
        f"(load {fill.get('load_s')} s, VACUUM ANALYZE {fill.get('analyze_s')} s).",
        "",
        "| figure | empty | filled | filled/empty | target ≤ 1.10 |",
        "|---|---|---|---|---|",
    ]
    rate_e, rate_f = empty["backlog"]["per_s"], filled["backlog"]["per_s"]
    # A rate: slower means fewer per second, so the ratio is empty/filled.
    rate_ratio = _ratio(rate_e, rate_f)
    lines.append(
        f"| SMS rate, backlog of {empty['backlog']['orders']} (per s) | {rate_e} | {rate_f} "
        f"| {rate_ratio} (empty/filled) | {_verdict(rate_ratio)} |"
    )
    for call, times in empty["api_ms"].items():
        e, f = times.get("p50"), filled["api_ms"][call].get("p50")
        ratio = _ratio(f, e)
        p99 = f"{times.get('p99')} → {filled['api_ms'][call].get('p99')}"
        lines.append(f"| {call} p50 ms (p99 {p99}) | {e} | {f} | {ratio} | {_verdict(ratio)} |")
    return "\n".join(lines)
