"""Levers on Prefect's task-run pages with a million SMS task runs, each measured on the same
filled database against an empty one in the same sitting.

    uv run python -m bench.prefect_history.levers [--rows 1000000] [--repeat 11] [--rounds 2]
        [--pg-port 54343] [--explain | --drain N] [--only NAME ...]

Two Prefect databases on bench.sms's embedded PostgreSQL, built once and kept between runs
(`--rebuild` drops them): `prefect_levers_empty` (the runner's warm-up: 5 SMS task runs)
and `prefect_levers_filled` (the same plus `--rows` synthetic ones, bench/prefect_history/
fill.py). A Prefect server with Duka's settings serves each in turn. For each round, for
each lever (bench/prefect_history/lever_set.py): its DDL and database settings are applied,
the Prefect server restarted (its connections see the settings), the calls of
bench/prefect_history/ui_calls.py timed (`--repeat` each, after a warm-up call), and the
lever undone. Rounds interleave the levers so the machine's other load spreads over all of
them; the report gives each call's median of the rounds' medians.

`--drain N` instead measures what each lever costs the SMS path: per round and lever, a
backlog of N orders drained by one runner against the filled database (bench.sms's backlog
phase): the SMS rate, and the CPU per SMS of the Prefect server and of its database.

`--explain` instead logs the plans of the SQL the Prefect server runs for each call
(auto_explain with ANALYZE and BUFFERS, one call each, on the filled database with Duka's
settings and with each lever) into results/explain-<time>.log.

Results: bench/prefect_history/results/levers-<time>.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from bench.machine import load_average, machine_info
from bench.prefect_history.fill import fill
from bench.prefect_history.lever_set import LEVERS, Lever
from bench.prefect_history.ui_calls import calls, time_calls
from bench.servers import BENCH_LIMITS
from bench.sms import cpu
from bench.sms.phases import backlog_drain, customer_ids, reset, warm_up
from bench.sms.stack import PG_PORT, Stack, drop_database, start_stack
from devtools.prefect_server import DATABASE_SETTINGS
from duka.core.settings import Settings
from duka.db.engine import Database

RESULTS = Path(__file__).resolve().parent / "results"
EMPTY, FILLED = "prefect_levers_empty", "prefect_levers_filled"
AUTO_EXPLAIN = {
    "session_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "on",
}


def log(message: str) -> None:
    print(f"[bench.prefect_history.levers] {message}", file=sys.stderr, flush=True)


def _database_url(stack: Stack, name: str) -> str:
    return stack.pg.url.rsplit("/", 1)[0] + "/" + name


def _built(stack: Stack, name: str, rows: int) -> bool:
    """Whether database `name` holds Prefect's schema and more than `rows` SMS task runs
    (the warm-up's and the fill's): the stack's start creates its database empty."""
    with psycopg.connect(stack.pg.admin_url) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if row is None:
        return False
    try:
        with psycopg.connect(_database_url(stack, name)) as conn:
            count = conn.execute(
                "SELECT count(*) FROM task_run WHERE name LIKE 'sms-ORD-%'"
            ).fetchone()
    except psycopg.errors.UndefinedTable:
        return False
    return count is not None and int(count[0]) > rows


async def _build(stack: Stack, name: str, rows: int) -> None:
    """Prefect's schema and the runner's warm-up SMS in database `name`, then `rows` more."""
    log(f"building {name} ({rows:,} synthetic task runs)")
    stack.prefect.stop()
    stack.prefect.database_url = _database_url(stack, name)
    stack.prefect.start()
    stack.prefect.wait_ready()
    limits: dict[str, Any] = {
        key.removeprefix("DUKA_").lower(): int(value) for key, value in BENCH_LIMITS.items()
    }
    settings = Settings(database_url=stack.pg.url, environment="production", **limits)
    db = Database(stack.pg.url, settings)
    try:
        await reset(db, stack)
        stack.start_runner(1)
        await warm_up(db, settings, await customer_ids(db))
        # Its dispatch run ends (Completed) when it stops: the fill copies a finished one.
        stack.stop_runner()
        await asyncio.to_thread(cpu.wait_idle, stack.prefect_pid)
    finally:
        await db.dispose()
    if rows:
        log(str(await asyncio.to_thread(fill, stack.prefect.database_url, rows, progress=False)))


def _apply(url: str, lever: Lever, undo: bool = False) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in lever.undo if undo else lever.ddl:
            conn.execute(sql.SQL(statement))  # our own constants (lever_set.py)


def _serve(stack: Stack, name: str, lever: Lever, extra: dict[str, str] | None = None) -> str:
    """Prefect's server on database `name` with `lever` (its database settings replace any
    earlier lever's); the database URL."""
    url = _database_url(stack, name)
    stack.prefect.stop()
    with psycopg.connect(stack.pg.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} RESET ALL").format(sql.Identifier(name)))
    stack.prefect.database_url = url
    stack.prefect.database_settings = {**DATABASE_SETTINGS, **lever.settings, **(extra or {})}
    stack.prefect.extra_env = dict(lever.env)
    stack.prefect.start()
    stack.prefect.wait_ready()
    return url


def _reference(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT name FROM task_run WHERE name LIKE 'sms-ORD-%' ORDER BY created LIMIT 1"
        ).fetchone()
    if row is None:
        raise RuntimeError("no SMS task run")
    return str(row[0])


def _measure(stack: Stack, name: str, lever: Lever, repeat: int) -> dict[str, float]:
    url = _serve(stack, name, lever)
    _apply(url, lever)
    try:
        cpu.wait_idle(stack.prefect_pid)
        times = time_calls(stack.prefect.api_url, _reference(url), repeat, lever.window)
    finally:
        _apply(url, lever, undo=True)
    return {call: t["p50"] for call, t in times.items()}


def _explain(stack: Stack, levers: list[Lever]) -> Path:
    """One call each with auto_explain on, per lever; the server log's new lines."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"explain-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.log"
    with out.open("w") as sink:
        for lever in levers:
            url = _serve(stack, FILLED, lever, AUTO_EXPLAIN)
            _apply(url, lever)
            try:
                reference = _reference(url)
                for call, (path, body) in calls(reference, window=lever.window).items():
                    start = stack.pg.log_file.stat().st_size
                    httpx.post(stack.prefect.api_url + path, json=body, timeout=120)
                    with stack.pg.log_file.open() as pg_log:
                        pg_log.seek(start)
                        sink.write(f"\n===== lever {lever.name}: {call} {path}\n{pg_log.read()}")
            finally:
                _apply(url, lever, undo=True)
    return out


async def _drains(stack: Stack, levers: list[Lever], rounds: int, size: int) -> list[Any]:
    """A backlog of `size` orders per round and lever, the levers' order turned each round."""
    limits: dict[str, Any] = {
        key.removeprefix("DUKA_").lower(): int(value) for key, value in BENCH_LIMITS.items()
    }
    settings = Settings(database_url=stack.pg.url, environment="production", **limits)
    db = Database(stack.pg.url, settings)
    drains: list[Any] = []
    try:
        # The runner's start-up, against the filled database (the empty one stays as built).
        _serve(stack, FILLED, levers[0])
        await reset(db, stack)
        stack.start_runner(1)
        await warm_up(db, settings, await customer_ids(db))
        stack.stop_runner()
        for round_ in range(rounds):
            for lever in levers if round_ % 2 == 0 else levers[::-1]:
                log(f"round {round_ + 1}: {lever.name}, a backlog of {size}")
                url = _serve(stack, FILLED, lever)
                _apply(url, lever)
                try:
                    await reset(db, stack)
                    drain = await backlog_drain(db, stack, size)
                finally:
                    stack.stop_runner()
                    _apply(url, lever, undo=True)
                all_in = drain["cpu_all_in"]
                drains.append(
                    {
                        "round": round_ + 1,
                        "lever": lever.name,
                        "per_s": drain["per_s"],
                        "prefect_server_ms": all_in.get("prefect_server_ms"),
                        "prefect_postgres_ms": all_in.get("postgres_by_db_ms", {}).get(FILLED),
                        "all_in_ms": all_in.get("all_in_ms"),
                        "drain": drain,
                    }
                )
    finally:
        await db.dispose()
    return drains


def _table(result: dict[str, Any]) -> str:
    empty = result["empty"]
    lines = [
        "| call | empty | " + " | ".join(result["medians"]) + " |",
        "|---|---:|" + "---:|" * len(result["medians"]),
    ]
    for call, ms in empty.items():
        cells = [f"{lever[call]:.1f}" for lever in result["medians"].values()]
        lines.append(f"| {call} | {ms:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    stack = start_stack(EMPTY, pg_port=args.pg_port)
    result: dict[str, Any] = {"machine": machine_info(), "args": vars(args)}
    try:
        for name, rows in ((EMPTY, 0), (FILLED, args.rows)):
            if args.rebuild or not _built(stack, name, rows):
                stack.prefect.stop()
                drop_database(_database_url(stack, name))
                await _build(stack, name, rows)
        levers = [lever for lever in LEVERS if not args.only or lever.name in args.only]
        if args.drain:
            result["drains"] = await _drains(stack, levers, args.rounds, args.drain)
            return result
        if args.explain:
            result["explain"] = str(await asyncio.to_thread(_explain, stack, levers))
            return result
        runs: dict[str, list[dict[str, float]]] = {"empty": []}
        for round_ in range(args.rounds):
            log(f"round {round_ + 1}: empty")
            runs["empty"].append(_measure(stack, EMPTY, LEVERS[0], args.repeat))
            for lever in levers:
                log(f"round {round_ + 1}: {lever.name}")
                runs.setdefault(lever.name, []).append(_measure(stack, FILLED, lever, args.repeat))
        medians = {
            name: {call: statistics.median(r[call] for r in rounds) for call in rounds[0]}
            for name, rounds in runs.items()
        }
        result["rounds"] = runs
        result["empty"] = medians.pop("empty")
        result["medians"] = medians
    finally:
        stack.stop()
    result["load_average_at_end"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.prefect_history.levers", description=__doc__
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic SMS task runs")
    parser.add_argument("--repeat", type=int, default=11, help="timed calls per call and lever")
    parser.add_argument("--rounds", type=int, default=2, help="passes over every lever")
    parser.add_argument("--pg-port", type=int, default=PG_PORT, help="the embedded PostgreSQL")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild both databases")
    parser.add_argument("--explain", action="store_true", help="log the plans, time nothing")
    parser.add_argument("--only", nargs="*", default=[], help="these levers only")
    parser.add_argument(
        "--drain", type=int, default=0, help="drain a backlog of this many per lever instead"
    )
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"levers-{stamp}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    if "medians" in result:
        print(_table(result))
    for drain in result.get("drains", []):
        print({k: v for k, v in drain.items() if k != "drain"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
