"""The group-commit phase in the summary: POST /orders closed loop with
DUKA_ORDER_GROUP_COMMIT off and on, the same orders, a fresh server for each, level by level
(8, 16, 32 and 64 connections unless BENCH_GROUP_COMMIT_LEVELS says otherwise)."""

from __future__ import annotations

from typing import Any

# Result names and the setting's value for each; off first, as today's path.
GROUP_COMMIT_VARIANTS = (("duka_group_off", "false"), ("duka_group_on", "true"))


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _runs(results: dict[str, Any], name: str) -> dict[int, dict[str, Any]]:
    return {r["connections"]: r for r in results.get(name, {}).get("closed_loop", [])}


def _cpu(run: dict[str, Any] | None, key: str = "server_cpu_ms_per_request") -> float | None:
    value = None if run is None else run.get(key)
    return None if value is None else round(float(value), 3)


def _peak(runs: dict[int, dict[str, Any]]) -> float:
    return max((float(r["ok_rps"]) for r in runs.values()), default=0.0)


def group_commit_summary(results: dict[str, Any]) -> dict[str, Any]:
    """Peaks of both, on over off; per level the req/s and CPU ratios."""
    off, on = _runs(results, "duka_group_off"), _runs(results, "duka_group_on")
    if not off or not on:
        return {}
    levels = {}
    for level in sorted(set(off) & set(on)):
        levels[str(level)] = {
            "rps_on_over_off": _ratio(float(on[level]["ok_rps"]), float(off[level]["ok_rps"])),
            "server_cpu_on_over_off": _ratio(_cpu(on[level]), _cpu(off[level])),
            "postgres_cpu_on_over_off": _ratio(
                _cpu(on[level], "postgres_cpu_ms_per_request"),
                _cpu(off[level], "postgres_cpu_ms_per_request"),
            ),
        }
    return {
        "group_commit_off_peak_rps": round(_peak(off), 1),
        "group_commit_on_peak_rps": round(_peak(on), 1),
        "group_commit_on_over_off": _ratio(_peak(on), _peak(off)),
        "group_commit_levels": levels,
    }


def _cells(run: dict[str, Any] | None) -> list[str]:
    if run is None:
        return ["-"] * 4
    errors = sum(run["errors"].values())
    pg = _cpu(run, "postgres_cpu_ms_per_request")
    return [
        f"{run['ok_rps']:.0f}" + (f" ({errors} err)" if errors else ""),
        f"{run['latency_ms']['p99']:.1f}",
        f"{run.get('server_cpu_ms_per_request', 0):.3f}",
        "-" if pg is None else f"{pg:.3f}",
    ]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def group_commit_lines(results: dict[str, Any]) -> list[str]:
    """The markdown table, one row per level (none without the phase)."""
    off, on = _runs(results, "duka_group_off"), _runs(results, "duka_group_on")
    if not off and not on:
        return []
    lines = [
        "",
        "**Group commit of POST /api/v1/orders** (DUKA_ORDER_GROUP_COMMIT off and on, a "
        "server each, closed loop; req/s of 2xx answers, p99 in ms, CPU ms per request of "
        "the Duka server and of PostgreSQL)",
        "",
        "| conns | off req/s | p99 | Duka CPU | PG CPU | on req/s | p99 | Duka CPU | PG CPU "
        "| on/off req/s | on/off Duka CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in sorted(set(off) | set(on)):
        a, b = off.get(level), on.get(level)
        cells = [str(level), *_cells(a), *_cells(b)]
        if a is None or b is None:
            cells += ["-", "-"]
        else:
            cells.append(_fmt(_ratio(float(b["ok_rps"]), float(a["ok_rps"]))))
            cells.append(_fmt(_ratio(_cpu(b), _cpu(a))))
        lines.append("| " + " | ".join(cells) + " |")
    return lines
