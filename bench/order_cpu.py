"""CPU per POST /orders in process: the API's own cost per order, without wrk or uvicorn's
sockets, robust on a shared machine.

`python -m bench.order_cpu [--requests 2000] [--rounds 7] [--concurrency 8]` builds the app
as `duka serve` does (`api.main.create_app`, the same DUKA_* settings as bench/servers.py,
logging configured as `duka serve` configures each worker), runs its lifespan on uvloop,
and sends it `--requests` orders per round as direct ASGI calls with a real bearer token
(bench/issuer.py's stand-in issuer), `--concurrency` at a time, against a real embedded
PostgreSQL (its own data folder, `.state/bench-order-cpu`, and `--pg-port`). The bodies and
customers are `make bench`'s. Per round it reads `time.process_time()` (this process only:
PostgreSQL's CPU is not in it) and the garbage collector's runs; it prints each round and
the best (the least disturbed by other work on the machine) and median CPU per order.

Log lines go where a server's go, to stderr, here `bench/results/order-cpu.log`.
The harness's own part (building the ASGI messages) is the same for every commit it runs
at, so the difference between two commits is theirs: copy this file into an older
checkout's bench/ and run it there with this venv (docs/benchmarks.md, "CPU per order in
process").
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.config import ROOT, BenchConfig
from bench.database import BenchDatabase
from bench.fixed_rate import ITEMS
from bench.in_process import run_in_process

PATH = "/api/v1/orders"


def order_bodies(customers: int) -> list[bytes]:
    return [
        json.dumps(
            {
                "customer_code": f"CUST-{i % customers + 1:06d}",
                "item": ITEMS[i % len(ITEMS)][0],
                "quantity": ITEMS[i % len(ITEMS)][2],
                "amount": ITEMS[i % len(ITEMS)][1],
                "currency": "KES",
            }
        ).encode()
        for i in range(customers * len(ITEMS))
    ]


class Driver:
    """POSTs orders to an ASGI app the way uvicorn hands it a request."""

    def __init__(self, app: Any, token: str, bodies: list[bytes]) -> None:
        self.app = app
        self.bodies = bodies
        self.auth = f"Bearer {token}".encode()
        self.statuses: dict[int, int] = {}
        self._next = 0

    async def post(self, body: bytes) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": PATH,
            "raw_path": PATH.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1:8000"),
                (b"content-type", b"application/json"),
                (b"authorization", self.auth),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        never = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await never.wait()  # the client stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                self.statuses[status] = self.statuses.get(status, 0) + 1

        await self.app(scope, receive, send)

    async def run(self, requests: int, concurrency: int) -> None:
        left = requests

        async def client() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                body = self.bodies[self._next % len(self.bodies)]
                self._next += 1
                await self.post(body)

        await asyncio.gather(*(client() for _ in range(concurrency)))


def _gc_runs() -> int:
    return sum(int(generation["collections"]) for generation in gc.get_stats())


async def _measure(args: argparse.Namespace, token: str, db: BenchDatabase) -> dict[str, Any]:
    from api.main import create_app

    app = create_app()
    bodies = order_bodies(args.customers)
    rounds: list[dict[str, float]] = []
    async with app.router.lifespan_context(app):
        driver = Driver(app, token, bodies)
        # Keys fetched, every customer's snapshot taken, statements prepared.
        await driver.run(max(args.requests, len(bodies)), args.concurrency)
        for n in range(args.rounds):
            db.clear_orders()
            gc_before, wall, cpu = _gc_runs(), time.perf_counter(), time.process_time()
            times = os.times()
            await driver.run(args.requests, args.concurrency)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            system = os.times().system - times.system
            rounds.append(
                {
                    "cpu_us_per_order": round(cpu / args.requests * 1e6, 1),
                    # The kernel's part (sockets to PostgreSQL, the log's writes), in it.
                    "system_us_per_order": round(system / args.requests * 1e6, 1),
                    "wall_us_per_order": round(wall / args.requests * 1e6, 1),
                    "gc_runs_per_1000": round((_gc_runs() - gc_before) / args.requests * 1e3, 2),
                }
            )
            print(f"[order-cpu] round {n + 1}: {rounds[-1]}", file=sys.stdout, flush=True)
        statuses = dict(driver.statuses)
    cpu_per_order = [r["cpu_us_per_order"] for r in rounds]
    return {
        "best_cpu_us_per_order": min(cpu_per_order),
        "median_cpu_us_per_order": statistics.median(cpu_per_order),
        "rounds": rounds,
        "statuses": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.order_cpu", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="orders per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--pg-port", type=int, default=54346)
    parser.add_argument("--label", default="", help="a name for this run in the JSON")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()

    config = BenchConfig(
        pg_port=args.pg_port,
        pg_data_dir=ROOT / ".state" / "bench-order-cpu" / "data",
        customers=args.customers,
    )
    db = BenchDatabase(config)
    result = run_in_process(db, "order-cpu.log", lambda token: _measure(args, token, db))
    result = {
        "label": args.label,
        "root": str(ROOT),
        "requests": args.requests,
        "concurrency": args.concurrency,
        **result,
    }
    print(json.dumps(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
