"""The GraphQL phase in the summary: createOrder against REST's POST /orders, both measured
closed loop on the same Duka server with the same orders."""

from __future__ import annotations

from typing import Any

# GraphQL's createOrder against REST's POST /orders, peak against peak (issue 10).
GRAPHQL_RATIO_TARGET = 0.8


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return max(runs, key=lambda r: float(r["ok_rps"]), default={})


def _cpu(run: dict[str, Any]) -> float | None:
    value = run.get("server_cpu_ms_per_request")
    return None if value is None else round(float(value), 3)


def graphql_summary(results: dict[str, Any]) -> dict[str, Any]:
    """Peak throughput of each, and the server's CPU per request at each one's best level."""
    rest = _best(results.get("duka", {}).get("closed_loop", []))
    graphql = _best(results.get("graphql", {}).get("closed_loop", []))
    graphql_rps = float(graphql.get("ok_rps", 0.0))
    return {
        "graphql_peak_rps": round(graphql_rps, 1),
        "graphql_over_rest": _ratio(graphql_rps, float(rest.get("ok_rps", 0.0))),
        "rest_cpu_ms_per_request": _cpu(rest),
        "graphql_cpu_ms_per_request": _cpu(graphql),
        "graphql_cpu_over_rest": _ratio(_cpu(graphql), _cpu(rest)),
    }


def _cells(run: dict[str, Any] | None) -> list[str]:
    if run is None:
        return ["-", "-", "-"]
    errors = sum(run["errors"].values())
    return [
        f"{run['ok_rps']:.0f}" + (f" ({errors} err)" if errors else ""),
        f"{run['latency_ms']['p99']:.1f}",
        f"{run.get('server_cpu_ms_per_request', 0):.3f}",
    ]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def graphql_lines(results: dict[str, Any]) -> list[str]:
    """The markdown table, one row per connection level (none without a GraphQL phase)."""
    rest = {r["connections"]: r for r in results.get("duka", {}).get("closed_loop", [])}
    graphql = {r["connections"]: r for r in results.get("graphql", {}).get("closed_loop", [])}
    if not graphql:
        return []
    lines = [
        "",
        "**GraphQL createOrder against REST POST /api/v1/orders** (the same orders on the same "
        "server, closed loop; req/s of successful payloads, p99 in ms, server CPU ms/request)",
        "",
        "| conns | REST req/s | p99 | CPU ms | GraphQL req/s | p99 | CPU ms "
        "| GraphQL/REST req/s | GraphQL/REST CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in sorted(graphql):
        r, g = rest.get(level), graphql[level]
        cells = [str(level), *_cells(r), *_cells(g)]
        if r is None:
            cells += ["-", "-"]
        else:
            cells.append(_fmt(_ratio(float(g["ok_rps"]), float(r["ok_rps"]))))
            cells.append(_fmt(_ratio(_cpu(g), _cpu(r))))
        lines.append("| " + " | ".join(cells) + " |")
    return lines
