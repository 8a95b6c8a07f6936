"""Prefect with a million SMS behind it: the SMS rate and the task-runs page's API times on
an empty Prefect database, then on the same database filled with SMS task runs.

    uv run python -m bench.prefect_history [--rows 1000000] [--backlog 3000] [--repeat 30]
    uv run python -m bench.prefect_history --rows 20000 --backlog 300 --repeat 5   # quick

It starts bench.sms's stack (embedded PostgreSQL, a Prefect server on a fresh database of
its own, the AT sandbox, the runner), warms the runner up, then for each phase ("empty",
then "filled" after bench/prefect_history/fill.py inserted `--rows` task runs):

- times the Prefect API calls of the UI's task-runs views (bench/prefect_history/ui_calls.py);
- drains a backlog of `--backlog` orders with one runner and reports the SMS rate, as
  bench.sms's backlog phase does (it is the highest rate the runner sustains).

The target (issue 14): filled no more than 10% slower than empty, for the rate and each
call's median. Results: bench/prefect_history/results/<time>.json and a summary on stdout.
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
from bench.prefect_history.fill import fill
from bench.prefect_history.report import markdown
from bench.prefect_history.ui_calls import time_calls
from bench.servers import BENCH_LIMITS
from bench.sms import cpu
from bench.sms.phases import backlog_drain, customer_ids, reset, warm_up
from bench.sms.stack import PG_PORT, Stack, start_stack
from duka.core.settings import Settings
from duka.db.engine import Database

RESULTS = Path(__file__).resolve().parent / "results"
PREFECT_DATABASE = "prefect_history_bench"


def log(message: str) -> None:
    print(f"[bench.prefect_history] {message}", file=sys.stderr, flush=True)


def task_runs(stack: Stack) -> int:
    with psycopg.connect(stack.prefect.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM task_run").fetchone()
    return int(row[0]) if row else 0


def a_reference(stack: Stack) -> str:
    """A real order's task-run name, the way an operator searches for it."""
    with psycopg.connect(stack.prefect.database_url) as conn:
        row = conn.execute(
            "SELECT name FROM task_run WHERE name LIKE 'sms-ORD-%' ORDER BY created LIMIT 1"
        ).fetchone()
    if row is None:
        raise RuntimeError("no SMS task run yet")
    return str(row[0])


async def phase(name: str, db: Database, stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    await asyncio.to_thread(cpu.wait_idle, stack.prefect_pid)
    rows = task_runs(stack)
    log(f"{name}: API calls of the task-runs views ({rows:,} task runs)")
    reference = a_reference(stack)
    calls = await asyncio.to_thread(time_calls, stack.prefect.api_url, reference, args.repeat)
    await reset(db, stack)
    log(f"{name}: backlog of {args.backlog}")
    drain = await backlog_drain(db, stack, args.backlog)
    # Task runs in Prefect's database while the calls were timed.
    return {"task_runs": rows, "api_ms": calls, "backlog": drain}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"machine": machine_info(), "args": vars(args), "phases": {}}
    stack = start_stack(PREFECT_DATABASE, fresh_prefect=True, pg_port=args.pg_port)
    limits: dict[str, Any] = {
        name.removeprefix("DUKA_").lower(): int(value) for name, value in BENCH_LIMITS.items()
    }
    settings = Settings(database_url=stack.pg.url, environment="production", **limits)
    db = Database(stack.pg.url, settings)
    phases = result["phases"]
    try:
        await reset(db, stack)
        stack.start_runner(1)
        await warm_up(db, settings, await customer_ids(db))
        phases["empty"] = await phase("empty", db, stack, args)
        # Its dispatch runs end (Completed) when it stops: the fill copies a finished one.
        stack.stop_runner()
        # The server records task runs from events after the clients sent them.
        await asyncio.to_thread(cpu.wait_idle, stack.prefect_pid)
        log(f"filling Prefect's database with {args.rows:,} SMS task runs")
        result["fill"] = await asyncio.to_thread(
            fill, stack.prefect.database_url, args.rows, per_flow_run=args.per_flow_run
        )
        phases["filled"] = await phase("filled", db, stack, args)
    finally:
        await db.dispose()
        stack.stop()
    result["load_average_at_end"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.prefect_history", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic SMS task runs")
    parser.add_argument("--backlog", type=int, default=3000, help="orders drained per phase")
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per API call")
    parser.add_argument(
        "--per-flow-run", type=int, default=5000, help="task runs per synthetic dispatch run"
    )
    parser.add_argument("--pg-port", type=int, default=PG_PORT, help="the embedded PostgreSQL")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
