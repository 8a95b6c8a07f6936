"""The phases of the Order SMS benchmark (bench/sms/__main__.py): orders at a fixed rate,
a backlog drained, and Prefect's empty task runs in burst and held at a fixed rate; each
with the CPU it cost all-in (bench/sms/allin.py) where it is measured."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text

from bench.sms import cpu
from bench.sms.allin import per_unit
from bench.sms.report import percentiles
from bench.sms.stack import Stack
from duka.auth.principal import Principal
from duka.core.settings import Settings
from duka.db.engine import Database
from duka.orders.schemas import OrderCreate
from duka.orders.service import OrderService

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


async def sent_count(db: Database) -> int:
    async with db.autocommit() as conn:
        query = "SELECT count(*) FROM notifications WHERE status = 'sent'"
        return int((await conn.execute(text(query))).scalar_one())


async def first_sends(db: Database, deadline: float) -> int:
    """Wait (until the monotonic `deadline`) for the first SMS sent; how many are sent."""
    sent = await sent_count(db)
    while not sent and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        sent = await sent_count(db)
    return sent


async def fixed_rate(
    db: Database,
    settings: Settings,
    customers: list[Any],
    rate: float,
    duration_s: float,
    stack: Stack | None = None,
) -> dict[str, Any]:
    """Orders at `rate` per second (open loop) for `duration_s`; latency of every SMS.
    With `stack`, also the SMS sent while the orders came (the rate held) and the CPU per
    SMS all-in over that window (the order inserts' share of PostgreSQL included)."""
    service = OrderService(db, settings)
    count = int(rate * duration_s)
    backlog: list[int] = []
    pending: set[asyncio.Task[Any]] = set()
    meter = stack.meter() if stack is not None else None
    runner_pids = [runner.pid for runner in stack.runners] if stack is not None else []
    first = await sent_count(db)
    before = meter.snapshot(runner_pids) if meter is not None else None
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
    in_window = await sent_count(db) - first
    after = meter.snapshot(runner_pids) if meter is not None else None
    drained = await wait_idle(db, 120)
    caught_up = None
    if meter is not None:
        # The server records task runs behind its clients: a window can end before it
        # has caught up. Measured again once it has, over every SMS of the phase.
        await asyncio.to_thread(cpu.wait_idle, stack.prefect_pid if stack else 0)
        caught_up = meter.snapshot(runner_pids)
    values = await latencies(db)
    result: dict[str, Any] = {
        "rate": rate,
        "duration_s": round(offered_for, 1),
        "orders": count,
        "sent": len(values),
        "drained": drained,
        "backlog_samples": backlog,
        "latency_s": percentiles(values),
        "sent_in_window": in_window,
        "per_s_in_window": round(in_window / offered_for, 1) if offered_for else None,
    }
    if before is not None and after is not None:
        result["cpu_all_in"] = per_unit(before, after, in_window)
    if before is not None and caught_up is not None:
        result["cpu_all_in_caught_up"] = per_unit(before, caught_up, len(values) - first)
    return result


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
    runner_pids = [runner.pid for runner in stack.runners]
    drain.start(runner_pids)
    started = time.monotonic()
    # All-in from the first SMS sent (the runner's start-up left out) until the Prefect
    # server has caught up with the drain: the work it does behind its clients included.
    meter = stack.meter()
    first_sent = await first_sends(db, started + 120)
    before = meter.snapshot(runner_pids)
    if not await wait_idle(db, 900):
        raise RuntimeError("the backlog did not drain in 15 minutes")
    used = drain.stop()
    wall_s = round(time.monotonic() - started, 1)
    caught_up_s = await asyncio.to_thread(cpu.wait_idle, stack.prefect_pid)
    all_in = per_unit(before, meter.snapshot(runner_pids), size - first_sent)
    async with db.autocommit() as conn:
        first, last = (
            await conn.execute(text("SELECT min(sent_at), max(sent_at) FROM notifications"))
        ).one()
    span = (last - first).total_seconds()
    return {
        "orders": size,
        "processes": int(sms.get("processes", "1")),
        "per_s": round(size / span, 1) if span else None,
        "wall_s": wall_s,
        "prefect_settled_s": settled_s,
        "prefect_caught_up_s": caught_up_s,
        **used,
        "cpu_all_in": all_in,
    }


def anchor(stack: Stack, count: int) -> dict[str, Any]:
    """Prefect's ceiling in burst: `count` empty task runs as fast as they go."""
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


def anchor_held(stack: Stack, rate: float, duration_s: float) -> dict[str, Any]:
    """Prefect's empty task runs offered at `rate` per second for `duration_s` on the same
    server (bench/sms/anchor.py, `held`), with their CPU all-in over the window."""
    meter = stack.meter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.sms.anchor", "--held", str(rate), str(duration_s)],
        env={**os.environ, **stack.prefect.client_env()},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    marks: dict[str, Any] = {}
    result: dict[str, Any] = {}
    # The anchor prints a line as its window opens and as it closes: the snapshots follow.
    for line in process.stdout:
        if line.startswith("BENCH "):
            mark, _, value = line.removeprefix("BENCH ").strip().partition(" ")
            marks[mark] = meter.snapshot([process.pid])
            if mark == "result":
                result = json.loads(value)
                # The child waits for its stdin to close: measured again once the server
                # has recorded everything the anchor sent.
                cpu.wait_idle(stack.prefect_pid)
                marks["caught_up"] = meter.snapshot([process.pid])
                assert process.stdin is not None
                process.stdin.close()
    if process.wait(timeout=900) != 0 or not result:
        raise RuntimeError("the held anchor failed")
    result["cpu_all_in"] = per_unit(marks["start"], marks["end"], result["completed_in_window"])
    result["cpu_all_in_caught_up"] = per_unit(marks["start"], marks["caught_up"], result["offered"])
    return result
