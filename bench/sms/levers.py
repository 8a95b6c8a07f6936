"""Levers on the CPU per SMS all-in, measured back to back on one stack:

    uv run python -m bench.sms.levers [--rate 20] [--duration 30] [--rounds 2]
        [--levers baseline,no-event-persister,...] [--pg-port 54343]

Each lever restarts the Prefect server with its settings (and its database's PostgreSQL
settings), then holds `rate` orders per second for `duration` seconds with one
runner and measures the CPU per SMS of the runner, the Prefect server and every PostgreSQL
process over that window (bench/sms/allin.py), and what Prefect recorded per SMS. A rate
well below the ceiling keeps the measure a cost, not a race. The levers run in turn,
`rounds` times, so that drift on a shared machine falls on all of them. Results:
bench/sms/results/levers-<time>.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.machine import load_average, machine_info
from bench.servers import BENCH_LIMITS
from bench.sms import cpu
from bench.sms.phases import customer_ids, fixed_rate, reset, warm_up
from bench.sms.stack import PG_PORT, Stack, start_stack
from devtools.prefect_server import DATABASE_SETTINGS, OPTIONAL_SERVICES
from duka.core.settings import Settings
from duka.db.engine import Database

RESULTS = Path(__file__).resolve().parent / "results"
# Prefect's own defaults for what devtools/prefect_server.py changes: the baseline.
_PREFECT_DEFAULTS = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "1",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "1",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "5",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "true",
}
_PERSISTER_ON = {"PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "true"}
_SYNC_ON = {"synchronous_commit": "on"}
_SYNC_OFF = {"synchronous_commit": "off"}
_PERSISTER_BATCH = {**_PERSISTER_ON, "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "200"}
_NO_STREAM_OUT = {
    "PREFECT_SERVER_EVENTS_STREAM_OUT_ENABLED": "false",
    "PREFECT_SERVER_LOGS_STREAM_OUT_ENABLED": "false",
}
# The services the benchmark's server runs without (as the tests' and the soak's), on.
_ALL_SERVICES = {f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "true" for name in OPTIONAL_SERVICES}

# name: (Prefect server environment, PostgreSQL settings of Prefect's database).
# "prefect-defaults" is Prefect's own configuration, "kept" what Duka runs with now
# (devtools/prefect_server.py: THROUGHPUT_ENV and DATABASE_SETTINGS); the levers between
# add one change at a time on the way from one to the other, "kept+X" one more to "kept".
LEVERS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "prefect-defaults": (_PREFECT_DEFAULTS, _SYNC_ON),
    "recorder-batch": (_PERSISTER_ON, _SYNC_ON),
    "recorder-batch+sync-commit-off": (_PERSISTER_ON, _SYNC_OFF),
    "recorder-batch+sync-commit-off+event-persister-batch": (_PERSISTER_BATCH, _SYNC_OFF),
    "kept": ({}, DATABASE_SETTINGS),
    "kept+no-stream-out": (_NO_STREAM_OUT, DATABASE_SETTINGS),
    "kept+all-services": (_ALL_SERVICES, DATABASE_SETTINGS),
}

# What Prefect recorded for the task runs of the window: states and events per task run.
_RECORDED = """
SELECT (SELECT count(*) FROM task_run WHERE created >= %(since)s) AS task_runs,
       (SELECT count(*) FROM task_run_state s JOIN task_run t ON t.id = s.task_run_id
         WHERE t.created >= %(since)s) AS states,
       (SELECT count(*) FROM events WHERE received >= %(since)s) AS events
"""


def recorded(stack: Stack, since: datetime) -> dict[str, int]:
    with psycopg.connect(stack.prefect.database_url, autocommit=True) as conn:
        row = conn.execute(_RECORDED, {"since": since}).fetchone()
    assert row is not None
    return {"task_runs": row[0], "states": row[1], "events": row[2]}


async def one(
    stack: Stack, db: Database, settings: Settings, lever: str, args: argparse.Namespace
) -> dict[str, Any]:
    env, database = LEVERS[lever]
    stack.stop_runner()
    stack.restart_prefect(env, database)
    await reset(db, stack)
    customers = await customer_ids(db)
    stack.start_runner(1)
    await warm_up(db, settings, customers)
    await reset(db, stack)
    await asyncio.to_thread(cpu.wait_idle, stack.prefect_pid)
    since = datetime.now(UTC)
    phase = await fixed_rate(db, settings, customers, args.rate, args.duration, stack)
    await asyncio.sleep(6)  # the event persister flushes every 5 s
    phase["recorded"] = recorded(stack, since)
    phase["lever"] = lever
    return phase


async def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"machine": machine_info(), "args": vars(args), "runs": []}
    stack = start_stack(pg_port=args.pg_port)
    limits: dict[str, Any] = {
        name.removeprefix("DUKA_").lower(): int(value) for name, value in BENCH_LIMITS.items()
    }
    settings = Settings(database_url=stack.pg.url, environment="production", **limits)
    db = Database(stack.pg.url, settings)
    try:
        for round_ in range(args.rounds):
            for lever in args.levers:
                print(f"[bench.sms.levers] round {round_ + 1}: {lever}", file=sys.stderr)
                result["runs"].append(await one(stack, db, settings, lever, args))
                print(row(result["runs"][-1]), file=sys.stderr, flush=True)
    finally:
        await db.dispose()
        stack.stop()
    result["load_average_at_end"] = load_average()
    return result


def row(run: dict[str, Any]) -> str:
    """Until the server caught up (the all-in cost); the window's all-in in brackets."""
    used, rec = run.get("cpu_all_in_caught_up", {}), run["recorded"]
    window = run.get("cpu_all_in", {}).get("all_in_ms")
    task_runs = max(rec["task_runs"], 1)
    by_db = used.get("postgres_by_db_ms", {})
    return (
        f"| {run['lever']} | {run['per_s_in_window']} | {used.get('client_ms')} | "
        f"{used.get('prefect_server_ms')} | {used.get('postgres_ms')} "
        f"({', '.join(f'{k} {v}' for k, v in by_db.items())}) | "
        f"**{used.get('all_in_ms')}** ({window}) | {rec['states'] / task_runs:.2f} | "
        f"{rec['events'] / task_runs:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sms.levers", description=__doc__)
    parser.add_argument("--rate", type=float, default=20.0, help="orders per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per lever")
    parser.add_argument("--rounds", type=int, default=2, help="times each lever runs")
    parser.add_argument("--levers", default=",".join(LEVERS), help="comma-separated")
    parser.add_argument("--pg-port", type=int, default=PG_PORT, help="the embedded PostgreSQL")
    args = parser.parse_args(argv)
    args.levers = [name for name in args.levers.split(",") if name]
    if unknown := set(args.levers) - set(LEVERS):
        parser.error(f"unknown levers: {', '.join(sorted(unknown))}")
    result = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"levers-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(
        "| lever | SMS/s | runner ms | Prefect server ms | PostgreSQL ms (by database) | "
        "all-in ms (window) | states per task run | events per task run |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for run_ in result["runs"]:
        print(row(run_))
    return 0


if __name__ == "__main__":
    sys.exit(main())
