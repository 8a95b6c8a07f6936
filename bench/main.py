"""`make bench`: every phase in one run, against the benchmark's own PostgreSQL.

Phases (BENCH_PHASES picks a subset): pgbench baseline, Duka under wrk and at a fixed
rate, the same orders through GraphQL's createOrder on the same Duka server (closed loop),
the lean app likewise, the bulk upload against raw COPY, and POST /orders with group commit
off and on. Results go to
bench/results/<timestamp>.json (and latest.json); the markdown summary is printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.config import ORDERS_PATH, RESULTS_DIR, UPLOAD_PATH, BenchConfig
from bench.database import BenchDatabase
from bench.group_commit_report import GROUP_COMMIT_VARIANTS
from bench.issuer import BenchIssuer
from bench.machine import load_average, machine_info, process_tree_cpu_s
from bench.pgbench import pgbench_version, run_pgbench
from bench.report import markdown, summarize
from bench.servers import (
    Server,
    check_port_free,
    duka_command,
    lean_command,
    running,
    unverified_command,
)
from bench.upload import duka_upload, raw_copy, write_copy_files, write_upload_csv
from bench.wrk import Api, run_wrk, wrk_version

WARMUP_UPLOAD_ROWS = 500


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def fixed_rate(server: Server, config: BenchConfig, rate: float, token: str) -> dict[str, Any]:
    # Its own process, so the generator's event loop never shares a GIL with anything here.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.fixed_rate",
            "--url",
            server.base_url + ORDERS_PATH,
            "--rate",
            f"{rate:.1f}",
            "--duration",
            str(config.duration_s),
            "--connections",
            str(config.fixed_rate_connections),
            "--customers",
            str(config.customers),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_TOKEN": token},
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def load_server(
    server: Server,
    db: BenchDatabase,
    config: BenchConfig,
    token: str,
    fixed_rate_run: bool = True,
    api: Api = "rest",
) -> dict[str, Any]:
    name = server.name if api == "rest" else f"{server.name} {api}"
    log(f"{name}: warm-up {config.warmup_s}s")
    run_wrk(server.base_url, max(config.levels), config.warmup_s, config.customers, token, api)
    runs: list[dict[str, Any]] = []
    pg_pid = db.postmaster_pid()
    for level in config.levels:
        db.clear_orders()
        log(f"{name}: wrk {level} connections, {config.duration_s}s")
        load_before = load_average()
        cpu_before = process_tree_cpu_s(server.pid)
        pg_before = process_tree_cpu_s(pg_pid) if pg_pid else 0.0
        run: dict[str, Any] = dict(
            run_wrk(server.base_url, level, config.duration_s, config.customers, token, api)
        )
        cpu_s = process_tree_cpu_s(server.pid) - cpu_before
        requests = max(int(run["requests"]), 1)
        run["load_average_before"] = load_before
        run["server_cpu_ms_per_request"] = cpu_s * 1000 / requests
        if pg_pid:
            # PostgreSQL's own (postmaster and backends): the database work per request.
            pg_s = process_tree_cpu_s(pg_pid) - pg_before
            run["postgres_cpu_ms_per_request"] = pg_s * 1000 / requests
        runs.append(run)
        errors = sum(run["errors"].values())
        log(
            f"  {run['ok_rps']:.0f} req/s, p99 {run['latency_ms']['p99']:.1f} ms, {errors} "
            f"errors, server CPU {run['server_cpu_ms_per_request']:.3f} ms/request, "
            f"PostgreSQL CPU {run.get('postgres_cpu_ms_per_request', 0):.3f} ms/request"
        )
    peak = max(float(r["ok_rps"]) for r in runs)
    rate = peak * config.fixed_rate_fraction
    fixed = None
    if rate > 0 and fixed_rate_run:
        db.clear_orders()
        log(f"{server.name}: fixed rate {rate:.0f} req/s, {config.duration_s}s")
        fixed = fixed_rate(server, config, rate, token)
        log(f"  p99 {fixed['latency_ms']['p99']:.1f} ms, {fixed['ok']} ok")
    return {"closed_loop": runs, "fixed_rate": fixed, "runtime": list(server.runtime)}


def pgbench_phase(db: BenchDatabase, config: BenchConfig) -> list[dict[str, Any]]:
    run_pgbench(db.server, max(config.levels), config.warmup_s, config.customers)
    runs: list[dict[str, Any]] = []
    for level in config.levels:
        db.clear_orders()
        log(f"pgbench: {level} clients, {config.duration_s}s")
        load_before = load_average()
        run: dict[str, Any] = dict(
            run_pgbench(db.server, level, config.duration_s, config.customers)
        )
        run["load_average_before"] = load_before
        runs.append(run)
        log(f"  {run['tps']:.0f} tps, p99 {run['latency_ms']['p99']:.1f} ms")
    return runs


def upload_phase(
    server: Server, db: BenchDatabase, config: BenchConfig, token: str
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="duka-bench-upload-") as tmp:
        source, orders, notes = Path(tmp, "orders.csv"), Path(tmp, "o.csv"), Path(tmp, "n.csv")
        write_upload_csv(source, config.upload_rows, config.customers)
        write_copy_files(db, source, orders, notes, config.upload_rows)
        url = server.base_url + UPLOAD_PATH
        # A small untimed upload first, so that both workers' first-use costs (imports,
        # statement compilation) stay out of the measurement, as wrk's warm-up does.
        warm = Path(tmp, "warm.csv")
        write_upload_csv(warm, WARMUP_UPLOAD_ROWS, config.customers)
        for _ in range(config.workers):
            duka_upload(db, url, token, warm, WARMUP_UPLOAD_ROWS)
        log(f"upload: {config.upload_rows} rows to Duka")
        duka = duka_upload(db, url, token, source, config.upload_rows)
        log(f"  {duka.get('rows_per_s', 0):,.0f} rows/s {duka.get('note', '')}")
        log("upload: raw COPY baseline")
        copy = raw_copy(db, orders, notes, config.upload_rows)
        log(f"  {copy['rows_per_s']:,.0f} rows/s")
    return {"duka": dict(duka), "raw_copy": dict(copy)}


def run_phases(
    config: BenchConfig,
    db: BenchDatabase,
    issuer: BenchIssuer,
    results: dict[str, Any],
    save: Callable[[], None],
) -> None:
    token = issuer.token()
    if "pgbench" in config.phases:
        results["pgbench"] = pgbench_phase(db, config)
        save()
    if {"duka", "graphql", "upload"} & set(config.phases):
        # One Duka server for these phases: a start costs more than it should on a loaded
        # 2-core machine (see docs/benchmarks.md), GraphQL is measured against the very
        # server REST was, and the upload then meets a warm server.
        command = duka_command(config, db.url, issuer.issuer)
        with running("duka", command, config.duka_port, "/healthz") as server:
            if "duka" in config.phases:
                results["duka"] = load_server(server, db, config, token)
                save()
            if "graphql" in config.phases:
                # Closed loop only: the fixed-rate run is REST's latency target.
                results["graphql"] = load_server(
                    server, db, config, token, fixed_rate_run=False, api="graphql"
                )
                save()
            if "upload" in config.phases:
                results["upload"] = upload_phase(server, db, config, token)
                save()
    if "lean" in config.phases:
        command = lean_command(config, db.url)
        with running("lean", command, config.lean_port, "/healthz") as server:
            results["lean"] = load_server(server, db, config, token)
        save()
    if "auth" in config.phases:
        # What checking the bearer token costs: Duka with tokens taken on trust, and Duka
        # checking every request's token in full (no remembered tokens), both closed loop.
        variants = (
            ("duka_unverified", unverified_command(config, db.url, issuer.issuer)),
            (
                "duka_uncached",
                duka_command(config, db.url, issuer.issuer, DUKA_OIDC_TOKEN_CACHE_SIZE="0"),
            ),
        )
        for name, command in variants:
            with running(name, command, config.duka_port, "/healthz") as server:
                results[name] = load_server(server, db, config, token, fixed_rate_run=False)
            save()
    if "metrics" in config.phases:
        # What Prometheus metrics cost (issue 14: at most 3%): the same server with them on,
        # served on their own port, against the `duka` phase's (metrics off, the default).
        command = duka_command(
            config,
            db.url,
            issuer.issuer,
            DUKA_METRICS_ENABLED="true",
            DUKA_METRICS_PORT=str(config.duka_port + 1),
        )
        with running("duka_metrics", command, config.duka_port, "/healthz") as server:
            results["duka_metrics"] = load_server(server, db, config, token, fixed_rate_run=False)
        save()
    if "limits" in config.phases:
        # What the rate limiter's leases save: one token UPSERT per order instead.
        command = duka_command(config, db.url, issuer.issuer, DUKA_LIMIT_LEASE_MAX="1")
        with running("duka_lease1", command, config.duka_port, "/healthz") as server:
            results["duka_lease1"] = load_server(server, db, config, token, fixed_rate_run=False)
        save()
    if "group_commit" in config.phases:
        # POST /orders with group commit off and on (issue 15), each setting explicit, at
        # the phase's own levels (up to 64 connections).
        levels = replace(config, levels=config.group_commit_levels)
        for name, on in GROUP_COMMIT_VARIANTS:
            command = duka_command(config, db.url, issuer.issuer, DUKA_ORDER_GROUP_COMMIT=on)
            with running(name, command, config.duka_port, "/healthz") as server:
                results[name] = load_server(server, db, levels, token, fixed_rate_run=False)
            save()


def main() -> int:
    config = BenchConfig.from_env()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    for port in (config.issuer_port, config.duka_port, config.lean_port):
        check_port_free(port)
    issuer = BenchIssuer(config.issuer_port)
    db = BenchDatabase(config)
    results: dict[str, Any] = {}

    def save() -> None:
        results["summary"] = summarize(results)
        text = json.dumps(results, indent=2, default=str)
        out.write_text(text)
        (RESULTS_DIR / "latest.json").write_text(text)

    try:
        db.start()
        db.reset()
        results["meta"] = {
            **machine_info(),
            "postgres": db.server_version(),
            "wrk": wrk_version(),
            "pgbench": pgbench_version(db.server),
            "jwt_rs256_verify_us": issuer.verify_cost_us(),
        }
        results["config"] = {**asdict(config), "pg_data_dir": str(config.pg_data_dir)}
        with issuer.serving():
            run_phases(config, db, issuer, results, save)
        save()
    finally:
        if not config.keep_postgres:
            db.stop()
    summary = markdown(results)
    out.with_suffix(".md").write_text(summary)
    log(f"results: {out}")
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
