"""Order SMS benchmark: latency from order commit to the gateway accepting the SMS, the
highest sustained SMS rate, Prefect's own ceiling on the same machine (in burst and held
at a fixed rate), and the CPU per SMS all-in (runner, Prefect server, PostgreSQL).

    uv run python -m bench.sms [--duration 120] [--rates 5,20] [--backlog 3000]
        [--anchor-duration 120] [--pg-port 54343]

It runs its own embedded PostgreSQL (.state/bench-sms-postgres, port 54343), a Prefect
server on it, the Africa's Talking sandbox and the SMS runner (`python -m flows`) as child
processes, and inserts orders itself through the API's order service (the same statement,
and the same wake-up after the commit). Latency = notifications.sent_at -
orders.created_at, both stamped by PostgreSQL. Results: bench/sms/results/<time>.json,
and a summary on stdout. The phases are in bench/sms/phases.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.machine import load_average, machine_info
from bench.servers import BENCH_LIMITS
from bench.sms import cpu
from bench.sms.phases import (
    anchor,
    anchor_held,
    backlog_drain,
    customer_ids,
    fixed_rate,
    reset,
    warm_up,
)
from bench.sms.report import markdown
from bench.sms.stack import PG_PORT, start_stack
from duka.core.settings import Settings
from duka.db.engine import Database

RESULTS = Path(__file__).resolve().parent / "results"


def log(message: str) -> None:
    print(f"[bench.sms] {message}", file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"machine": machine_info(), "args": vars(args), "phases": {}}
    stack = start_stack(pg_port=args.pg_port)
    # The same limits as the HTTP benchmarks: the orders it creates are never refused.
    limits: dict[str, Any] = {
        name.removeprefix("DUKA_").lower(): int(value) for name, value in BENCH_LIMITS.items()
    }
    settings = Settings(database_url=stack.pg.url, environment="production", **limits)
    db = Database(stack.pg.url, settings)
    phases = result["phases"]
    try:
        log("anchor: Prefect's empty task runs")
        phases["anchor"] = anchor(stack, args.anchor)
        designs: dict[str, dict[str, str]] = {"session": {}, "batch": {"session_idle_s": "0"}}
        for design in args.designs:
            for rate in args.rates:
                await reset(db, stack)
                customers = await customer_ids(db)
                stack.start_runner(1, **designs[design])
                await warm_up(db, settings, customers)
                await reset(db, stack)
                log(f"{design}: {rate} orders/s for {args.duration} s")
                phases[f"{design}@{rate:g}"] = await fixed_rate(
                    db, settings, customers, rate, args.duration
                )
        await reset(db, stack)
        log(f"backlog of {args.backlog}")
        phases["backlog"] = await backlog_drain(db, stack, args.backlog)
        best: dict[str, str] = {}
        top = phases["backlog"]["per_s"] or 0
        if args.processes > 1:
            await reset(db, stack)
            log(f"backlog of {args.backlog}, DUKA_SMS_PROCESSES={args.processes}")
            scaled = {"processes": str(args.processes)}
            phases["backlog_scaled"] = await backlog_drain(db, stack, args.backlog, **scaled)
            if (phases["backlog_scaled"]["per_s"] or 0) > top:
                best, top = scaled, phases["backlog_scaled"]["per_s"]
        # The sustained check runs the runner as the better backlog run did.
        sustain = args.sustain or max(1.0, round(top * 0.9))
        await reset(db, stack)
        customers = await customer_ids(db)
        stack.start_runner(1, **best)
        await warm_up(db, settings, customers)
        await reset(db, stack)
        log(f"sustained check: {sustain:g} orders/s for {args.sustain_duration} s")
        phases["sustained"] = await fixed_rate(
            db, settings, customers, sustain, args.sustain_duration, stack
        )
        phases["sustained"]["processes"] = int(best.get("processes", "1"))
        stack.stop_runner()
        # The anchor held at its burst rate (or --anchor-rate) on the same server, once
        # the server has caught up with the SMS: the rate Prefect itself holds.
        await asyncio.to_thread(cpu.wait_idle, stack.prefect_pid)
        held_rate = args.anchor_rate or phases["anchor"]["per_s"]
        log(f"anchor held: {held_rate:g} empty task runs/s for {args.anchor_duration} s")
        phases["anchor_held"] = await asyncio.to_thread(
            anchor_held, stack, held_rate, args.anchor_duration
        )
    finally:
        await db.dispose()
        stack.stop()
    result["load_average_at_end"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sms", description=__doc__)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds per fixed rate")
    parser.add_argument("--rates", default="5,20", help="orders per second, comma-separated")
    parser.add_argument("--backlog", type=int, default=3000, help="orders for the top rate")
    parser.add_argument("--anchor", type=int, default=1000, help="empty task runs")
    parser.add_argument("--designs", default="session,batch", help="session and/or batch")
    parser.add_argument(
        "--processes", type=int, default=2, help="DUKA_SMS_PROCESSES of a 2nd backlog run"
    )
    parser.add_argument(
        "--sustain", type=float, default=0, help="rate to hold (0: 90%% of the backlog rate)"
    )
    parser.add_argument(
        "--sustain-duration", type=float, default=120.0, help="seconds of the sustained check"
    )
    parser.add_argument(
        "--anchor-rate",
        type=float,
        default=0,
        help="empty task runs/s held (0: the burst anchor's rate)",
    )
    parser.add_argument(
        "--anchor-duration", type=float, default=120.0, help="seconds the anchor is held"
    )
    parser.add_argument("--pg-port", type=int, default=PG_PORT, help="the embedded PostgreSQL")
    args = parser.parse_args(argv)
    args.rates = [float(r) for r in args.rates.split(",") if r]
    args.designs = [d for d in args.designs.split(",") if d]
    result = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
