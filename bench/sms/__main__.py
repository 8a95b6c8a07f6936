"""Order SMS benchmark: latency from order commit to the gateway accepting the SMS, the
highest sustained SMS rate, and Prefect's own ceiling on the same machine.

    uv run python -m bench.sms [--duration 120] [--rates 5,20] [--backlog 3000]

It runs its own embedded PostgreSQL (.state/bench-sms-postgres, port 54343), a Prefect
server on it, the Africa's Talking sandbox and the SMS runner (`python -m flows`) as child
processes, and inserts orders itself through the API's order service (the same statement,
and the same wake-up after the commit). Latency = notifications.sent_at -
orders.created_at, both stamped by PostgreSQL. Results: bench/sms/results/<time>.json,
and a summary on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench.machine import load_average, machine_info
from bench.servers import BENCH_LIMITS
from bench.sms import cpu
from bench.sms.report import markdown, percentiles
from bench.sms.stack import Stack, start_stack
from duka.auth.principal import Principal
from duka.core.settings import Settings
from duka.db.engine import Database
from duka.orders.schemas import OrderCreate
from duka.orders.service import OrderService

RESULTS = Path(__file__).resolve().parent / "results"
CUSTOMERS = 2000
BENCH = Principal(subject="bench", roles=frozenset({"admin"}))


async def reset(db: Database, stack: Stack) -> None:
    async with db.begin() as conn:
        await conn.execute(text("TRUNCATE orders, notifications, idempotency_keys CASCADE"))
        count = (await conn.execute(text("SELECT count(*) FROM customers"))).scalar_one()
        if count < CUSTOMERS:
            await conn.execute(
                text(
                    "INSERT INTO customers (code, name, phone) "
                    "SELECT 'B-' || i, 'Wanjiku Kamau ' || i, '+2547' || lpad(i::text, 8, '0') "
                    "FROM generate_series(CAST(:a AS int), CAST(:b AS int)) i"
                ),
                {"a": count + 1, "b": CUSTOMERS},
            )
    async with httpx.AsyncClient() as client:
        await client.delete(f"{stack.sandbox_url}/_sandbox/inbox")


async def customer_ids(db: Database) -> list[Any]:
    async with db.autocommit() as conn:
        return list((await conn.execute(text("SELECT id FROM customers ORDER BY code"))).scalars())


async def unsent(db: Database) -> int:
    async with db.autocommit() as conn:
        query = "SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')"
        return int((await conn.execute(text(query))).scalar_one())


async def latencies(db: Database) -> list[float]:
    async with db.autocommit() as conn:
        rows = await conn.execute(
            text(
                "SELECT extract(epoch FROM n.sent_at - o.created_at) FROM notifications n "
                "JOIN orders o ON o.id = n.order_id WHERE n.sent_at IS NOT NULL"
            )
        )
        return [float(r[0]) for r in rows]


async def wait_idle(db: Database, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while await unsent(db):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)
    return True


async def warm_up(db: Database, settings: Settings, customers: list[Any]) -> None:
    """The runner's first dispatch run pays its imports and connections: not measured."""
    service = OrderService(db, settings)
    for customer in customers[:5]:
        await service.create(_order(customer), BENCH, None)
    if not await wait_idle(db, 180):
        raise RuntimeError("the runner sent nothing: see its log")


def _order(customer: Any) -> OrderCreate:
    return OrderCreate(customer_id=customer, item="Maize flour 2kg", amount=Decimal("125.50"))


async def fixed_rate(
    db: Database, settings: Settings, customers: list[Any], rate: float, duration_s: float
) -> dict[str, Any]:
    """Orders at `rate` per second (open loop) for `duration_s`; latency of every SMS."""
    service = OrderService(db, settings)
    count = int(rate * duration_s)
    backlog: list[int] = []
    pending: set[asyncio.Task[Any]] = set()
    started = time.monotonic()
    next_sample = started
    for n in range(count):
        due = started + n / rate
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        task = asyncio.create_task(
            service.create(_order(customers[n % len(customers)]), BENCH, None)
        )
        pending.add(task)
        task.add_done_callback(pending.discard)
        if time.monotonic() >= next_sample:
            backlog.append(await unsent(db))
            next_sample += 5
    await asyncio.gather(*pending)
    offered_for = time.monotonic() - started
    drained = await wait_idle(db, 120)
    values = await latencies(db)
    return {
        "rate": rate,
        "duration_s": round(offered_for, 1),
        "orders": count,
        "sent": len(values),
        "drained": drained,
        "backlog_samples": backlog,
        "latency_s": percentiles(values),
    }


async def backlog_drain(db: Database, stack: Stack, size: int, **sms: str) -> dict[str, Any]:
    """`size` orders stored while no runner runs, then sent by one runner (with
    `DUKA_SMS_*` settings `sms`, e.g. processes=2): the top rate."""
    stack.stop_runner()
    async with db.begin() as conn:
        await conn.execute(
            text(
                """
                WITH o AS (
                    INSERT INTO orders (id, customer_id, item, amount, currency, created_by)
                    SELECT gen_random_uuid(), c.id, 'Maize flour 2kg', 125.5, 'KES', 'bench'
                    FROM generate_series(1, CAST(:n AS int)) i
                    JOIN customers c ON c.code = 'B-' || (1 + i % :customers)
                    RETURNING id, customer_id
                )
                INSERT INTO notifications (id, order_id, recipient, body)
                SELECT gen_random_uuid(), o.id, c.phone,
                       'Hi ' || c.name || ', we received your order ORD-'
                       || upper(left(o.id::text, 8))
                       || ': 1 x Maize flour 2kg, KES 125.50 on 26 Nov 14:05. Thank you!'
                FROM o JOIN customers c ON c.id = o.customer_id
                """
            ),
            {"n": size, "customers": CUSTOMERS},
        )
    settled_s = await asyncio.to_thread(cpu.wait_idle, stack.prefect_pid)
    drain = cpu.DrainCpu(stack.pg.url, size, stack.prefect_pid)
    stack.start_runner(1, **sms)
    drain.start([runner.pid for runner in stack.runners])
    started = time.monotonic()
    if not await wait_idle(db, 900):
        raise RuntimeError("the backlog did not drain in 15 minutes")
    used = drain.stop()
    async with db.autocommit() as conn:
        first, last = (
            await conn.execute(text("SELECT min(sent_at), max(sent_at) FROM notifications"))
        ).one()
    span = (last - first).total_seconds()
    return {
        "orders": size,
        "processes": int(sms.get("processes", "1")),
        "per_s": round(size / span, 1) if span else None,
        "wall_s": round(time.monotonic() - started, 1),
        "prefect_settled_s": settled_s,
        **used,
    }


def anchor(stack: Stack, count: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.sms.anchor", str(count)],
        env={**os.environ, **stack.prefect.client_env()},
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def log(message: str) -> None:
    print(f"[bench.sms] {message}", file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"machine": machine_info(), "args": vars(args), "phases": {}}
    stack = start_stack()
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
        log(f"sustained check: {sustain:g} orders/s for {args.duration} s")
        phases["sustained"] = await fixed_rate(db, settings, customers, sustain, args.duration)
        phases["sustained"]["processes"] = int(best.get("processes", "1"))
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
