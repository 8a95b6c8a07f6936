"""Ratios, target checks and the markdown summary pasted into docs/benchmarks.md."""

from __future__ import annotations

from typing import Any

from bench.graphql_report import GRAPHQL_RATIO_TARGET, graphql_lines, graphql_summary
from bench.group_commit_report import group_commit_lines, group_commit_summary

# The targets from the performance issues: Duka at the lean endpoint's peak (issue 15 aims at
# 1.0x and requires at least 0.85x).
LEAN_RATIO_TARGET = 1.0
LEAN_RATIO_REQUIRED = 0.85
P99_TARGET_MS = 50.0
UPLOAD_RATIO_TARGET = 0.5
# Token validation may cost POST /orders at most this share of its throughput.
VALIDATION_DROP_TARGET = 0.15
# Prometheus metrics (issue 14) may cost POST /orders at most this share of its throughput.
METRICS_DROP_TARGET = 0.03


def _peak(runs: list[dict[str, Any]], key: str) -> float:
    return max((float(r[key]) for r in runs), default=0.0)


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if a and b else None


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    duka = results.get("duka", {}).get("closed_loop", [])
    lean = results.get("lean", {}).get("closed_loop", [])
    pgb = results.get("pgbench", [])
    duka_peak, lean_peak, pg_peak = _peak(duka, "ok_rps"), _peak(lean, "ok_rps"), _peak(pgb, "tps")
    fixed = results.get("duka", {}).get("fixed_rate") or {}
    upload = results.get("upload", {})
    up_duka = upload.get("duka", {}).get("rows_per_s", 0.0)
    up_copy = upload.get("raw_copy", {}).get("rows_per_s", 0.0)
    p99 = fixed.get("latency_ms", {}).get("p99")
    summary: dict[str, Any] = {
        "duka_peak_rps": round(duka_peak, 1),
        "lean_peak_rps": round(lean_peak, 1),
        "pgbench_peak_tps": round(pg_peak, 1),
        "duka_over_lean": _ratio(duka_peak, lean_peak),
        "duka_over_pgbench": _ratio(duka_peak, pg_peak),
        "duka_p99_ms_at_fixed_rate": p99,
        "upload_over_raw_copy": _ratio(up_duka, up_copy),
    }
    unverified = _peak(results.get("duka_unverified", {}).get("closed_loop", []), "ok_rps")
    uncached = _peak(results.get("duka_uncached", {}).get("closed_loop", []), "ok_rps")
    summary["duka_unverified_peak_rps"] = round(unverified, 1)
    summary["duka_uncached_peak_rps"] = round(uncached, 1)
    summary["validation_drop"] = _drop(duka_peak, unverified)
    summary["uncached_validation_drop"] = _drop(uncached, unverified)
    lease1 = _peak(results.get("duka_lease1", {}).get("closed_loop", []), "ok_rps")
    summary["duka_lease1_peak_rps"] = round(lease1, 1)
    # Throughput one token UPSERT per order would cost, against leased tokens (as shipped).
    summary["per_order_limit_upsert_drop"] = _drop(lease1, duka_peak)
    metrics_on = results.get("duka_metrics", {}).get("closed_loop", [])
    summary["duka_metrics_peak_rps"] = round(_peak(metrics_on, "ok_rps"), 1)
    # Throughput Prometheus metrics cost, against the same server with them off.
    summary["metrics_drop"] = _drop(_peak(metrics_on, "ok_rps"), duka_peak)
    summary.update(graphql_summary(results))
    summary.update(group_commit_summary(results))
    summary["targets"] = {
        "duka_over_lean>=1.0": _met(summary["duka_over_lean"], lambda r: r >= LEAN_RATIO_TARGET),
        "duka_over_lean>=0.85": _met(summary["duka_over_lean"], lambda r: r >= LEAN_RATIO_REQUIRED),
        "p99<50ms_at_half_peak": _met(p99, lambda v: v < P99_TARGET_MS),
        "upload_over_copy>=0.5": _met(
            summary["upload_over_raw_copy"], lambda r: r >= UPLOAD_RATIO_TARGET
        ),
        "validation_drop<=15%": _met(
            summary["validation_drop"], lambda d: d <= VALIDATION_DROP_TARGET
        ),
        "graphql_over_rest>=0.8": _met(
            summary["graphql_over_rest"], lambda r: r >= GRAPHQL_RATIO_TARGET
        ),
        "metrics_drop<=3%": _met(summary["metrics_drop"], lambda d: d <= METRICS_DROP_TARGET),
    }
    return summary


def _drop(checked: float, unchecked: float) -> float | None:
    """The share of throughput lost to token validation (negative: within noise, faster)."""
    return round(1 - checked / unchecked, 3) if checked and unchecked else None


def _met(value: float | None, check: Any) -> str:
    if value is None:
        return "not measured"
    return "met" if check(value) else "missed"


def _ms(latency: dict[str, float], key: str) -> str:
    return f"{latency[key]:.1f}"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown(results: dict[str, Any]) -> str:
    meta, cfg, summary = results["meta"], results["config"], results["summary"]
    label = f" ({cfg['label']})" if cfg.get("label") else ""
    lines = [
        f"### Results{label}: {meta['date']}, commit {meta['commit']}",
        "",
        f"{meta['nproc']} cores ({meta['cpu_model']}), {meta['memory_gib']} GiB, "
        f"Python {meta['python']}, PostgreSQL {meta.get('postgres', '?')}, "
        f"{meta.get('wrk', 'wrk')}; {cfg['workers']} uvicorn worker(s) per server; "
        f"{cfg['duration_s']} s per level; load average at start {meta['load_average_at_start']}.",
        "",
        "**POST /api/v1/orders, closed loop** (req/s of 2xx answers; latency in ms)",
        "",
        "| conns | Duka req/s | p50 | p99 | lean req/s | p50 | p99 | pgbench tps | p50 | p99 "
        "| Duka/lean | Duka/pgbench |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_level: dict[int, dict[str, dict[str, Any]]] = {}
    for name in ("duka", "lean"):
        for run in results.get(name, {}).get("closed_loop", []):
            by_level.setdefault(run["connections"], {})[name] = run
    for run in results.get("pgbench", []):
        by_level.setdefault(run["clients"], {})["pgbench"] = run
    for level in sorted(by_level):
        row = by_level[level]
        cells = [str(level)]
        for name, key in (("duka", "ok_rps"), ("lean", "ok_rps"), ("pgbench", "tps")):
            run = row.get(name)
            if run is None:
                cells += ["-", "-", "-"]
            else:
                errors = sum(run["errors"].values()) if name != "pgbench" else run["failed"]
                mark = f" ({errors} err)" if errors else ""
                cells += [
                    f"{run[key]:.0f}{mark}",
                    _ms(run["latency_ms"], "p50"),
                    _ms(run["latency_ms"], "p99"),
                ]
        duka, lean, pgb = row.get("duka"), row.get("lean"), row.get("pgbench")
        cells.append(_fmt(duka["ok_rps"] / lean["ok_rps"]) if duka and lean else "-")
        cells.append(_fmt(duka["ok_rps"] / pgb["tps"]) if duka and pgb else "-")
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"**Fixed rate, open loop** ({cfg['fixed_rate_fraction']:.0%} of each server's peak; "
        "latency from each request's due time, in ms)",
        "",
        "| server | offered req/s | answered req/s | 2xx | errors "
        "| p50 | p90 | p99 | p99.9 | max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("duka", "lean"):
        fixed = results.get(name, {}).get("fixed_rate")
        if fixed:
            lat = fixed["latency_ms"]
            lines.append(
                f"| {name} | {fixed['target_rps']:.0f} | {fixed['achieved_rps']:.0f} | "
                f"{fixed['ok']} | {fixed['errors'] + fixed['unanswered']} | "
                + " | ".join(_ms(lat, k) for k in ("p50", "p90", "p99", "p999", "max"))
                + " |"
            )
    upload = results.get("upload", {})
    if upload:
        lines += [
            "",
            f"**Bulk upload of {cfg['upload_rows']:,} orders** (orders + outbox rows)",
            "",
            "| path | seconds | rows/s | stored orders / notifications |",
            "|---|---:|---:|---:|",
        ]
        for name, title in (
            ("duka", "Duka POST /api/v1/uploads/orders"),
            ("raw_copy", "raw COPY (baseline)"),
        ):
            run = upload.get(name)
            if not run:
                continue
            if "seconds" not in run:
                lines.append(f"| {title} | - | - | {run.get('note', '')} |")
                continue
            lines.append(
                f"| {title} | {run['seconds']:.2f} | {run['rows_per_s']:,.0f} | "
                f"{run['orders_stored']:,} / {run['notifications_stored']:,} |"
            )
    lines += graphql_lines(results)
    lines += _validation_lines(results, summary)
    lines += _limit_lines(results)
    lines += group_commit_lines(results)
    targets = summary["targets"]
    lines += [
        "",
        "**Targets**",
        "",
        "| target | measured | verdict |",
        "|---|---:|---|",
        f"| Duka >= 1.0x lean throughput (peak vs peak; the target) "
        f"| {_fmt(summary['duka_over_lean'])}x | {targets['duka_over_lean>=1.0']} |",
        f"| Duka >= 0.85x lean throughput (peak vs peak; required) "
        f"| {_fmt(summary['duka_over_lean'])}x | {targets['duka_over_lean>=0.85']} |",
        f"| Duka p99 < 50 ms at half its peak rate "
        f"| {_fmt(summary['duka_p99_ms_at_fixed_rate'], 1)} ms "
        f"| {targets['p99<50ms_at_half_peak']} |",
        f"| upload >= 0.5x raw COPY rows/s | {_fmt(summary['upload_over_raw_copy'])}x "
        f"| {targets['upload_over_copy>=0.5']} |",
        f"| token validation costs <= 15% of POST /orders throughput "
        f"| {_pct(summary['validation_drop'])} | {targets['validation_drop<=15%']} |",
        f"| GraphQL createOrder >= 0.8x REST POST /orders (peak vs peak) "
        f"| {_fmt(summary['graphql_over_rest'])}x | {targets['graphql_over_rest>=0.8']} |",
        f"| metrics on cost <= 3% of POST /orders throughput "
        f"| {_pct(summary['metrics_drop'])} | {targets['metrics_drop<=3%']} |",
        f"| (info) Duka / pgbench peak | {_fmt(summary['duka_over_pgbench'])}x | - |",
    ]
    return "\n".join(lines) + "\n"


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _validation_lines(results: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    variants = (
        ("duka_unverified", "tokens taken on trust (no validation)"),
        ("duka", "Duka as shipped: tokens checked, a checked token remembered until it expires"),
        ("duka_uncached", "every request's token checked in full (RS256 and claims)"),
    )
    runs = {name: results.get(name, {}).get("closed_loop", []) for name, _ in variants}
    if not runs["duka_unverified"]:
        return []
    base = summary["duka_unverified_peak_rps"]
    lines = [
        "",
        "**Cost of token validation** (POST /api/v1/orders, closed loop, best level of each; "
        "server CPU per request over that level)",
        "",
        "| Duka with | peak req/s | p99 ms | server CPU ms/request | throughput lost |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, title in variants:
        if not runs[name]:
            continue
        best = max(runs[name], key=lambda r: float(r["ok_rps"]))
        lost = _drop(float(best["ok_rps"]), base)
        lines.append(
            f"| {title} | {best['ok_rps']:.0f} | {_ms(best['latency_ms'], 'p99')} | "
            f"{best.get('server_cpu_ms_per_request', 0):.3f} | "
            f"{'-' if name == 'duka_unverified' else _pct(lost)} |"
        )
    return lines


def _limit_lines(results: dict[str, Any]) -> list[str]:
    variants = (
        ("duka", "tokens leased per worker, up to 100 per statement (as shipped)"),
        ("duka_lease1", "one token UPSERT per order (DUKA_LIMIT_LEASE_MAX=1)"),
    )
    runs = {name: results.get(name, {}).get("closed_loop", []) for name, _ in variants}
    if not runs["duka_lease1"] or not runs["duka"]:
        return []
    lines = [
        "",
        "**Cost of the rate limiter** (POST /api/v1/orders, closed loop, best level of each)",
        "",
        "| limiter | peak req/s | p99 ms | server CPU ms/request |",
        "|---|---:|---:|---:|",
    ]
    for name, title in variants:
        best = max(runs[name], key=lambda r: float(r["ok_rps"]))
        lines.append(
            f"| {title} | {best['ok_rps']:.0f} | {_ms(best['latency_ms'], 'p99')} | "
            f"{best.get('server_cpu_ms_per_request', 0):.3f} |"
        )
    return lines
