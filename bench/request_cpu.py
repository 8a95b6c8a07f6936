"""CPU and WAL per request over an order's life, in process: the capacity model's inputs
(docs/capacity.md) for what bench.order_cpu does not cover.

`python -m bench.request_cpu [--orders 2000] [--rounds 3] [--concurrency 1,4,32]` builds the
app as bench.order_cpu does (`create_app`, `duka serve`'s settings and logging, uvloop, a
real bearer token, a real embedded PostgreSQL of its own, `.state/bench-request-cpu`) and,
per round and concurrency level, takes `--orders` orders through their whole life in
Duka's database, one step after the other:

- `order`: POST /orders, `--concurrency` at a time (group commit forms groups of up to that);
- `runner`: the runner's statements for each SMS, through the outbox as the runner uses it
  (`Outbox.claim`, `begin_attempts`, `accept_many`, in batches of `--concurrency`), without
  Prefect and without a gateway: PostgreSQL's side only;
- `report`: POST of Africa's Talking's delivery report (`Success`, form-encoded, the
  secret in the URL as bench.soak's sandbox sends it), one per SMS, `--concurrency` at a time;
- `read`: GET /orders/{id} of each order; `list`: GET /orders?limit=20, one per five orders.

Per step: this process's CPU per request (`time.process_time()`: the API's own cost, no
sockets and no uvicorn; meaningless for `runner`, which runs the runner's code here),
PostgreSQL's CPU per request (every process of its cluster, from /proc, as bench.sms.allin
reads it), and WAL bytes and full-page images per request (`pg_current_wal_insert_lsn()`
and `pg_stat_wal`). The tables start empty each round (TRUNCATE, CHECKPOINT), so the WAL
has few full-page images: a lower bound for a long-running database (docs/capacity.md).
Prints each round and the best (least disturbed) and median; `--json` writes them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.config import ROOT, BenchConfig
from bench.database import BenchDatabase
from bench.in_process import run_in_process
from bench.machine import machine_info
from bench.order_cpu import order_bodies
from bench.request_driver import Driver
from bench.sms.allin import postgres_cpu_s, postmaster_pid

CALLBACK_SECRET = "bench-request-cpu-callback-secret"  # fake, for this local run only
REPORT_PATH = f"/api/v1/webhooks/africastalking/delivery/{CALLBACK_SECRET}"
STEPS = ("order", "runner", "report", "read", "list")
_WAL = "SELECT pg_current_wal_insert_lsn()::text, wal_records, wal_fpi, wal_bytes FROM pg_stat_wal"


class Probe:
    """PostgreSQL's CPU seconds and WAL position, read before and after each step."""

    def __init__(self, db: BenchDatabase, data_dir: Path) -> None:
        self.conn = db.connect()
        self.postmaster = postmaster_pid(data_dir)

    def read(self) -> dict[str, float]:
        row = self.conn.execute(_WAL).fetchone()
        assert row is not None
        lsn = self.conn.execute("SELECT pg_wal_lsn_diff(%s::pg_lsn, '0/0')", (row[0],)).fetchone()
        assert lsn is not None
        return {
            "process_s": time.process_time(),
            "system_s": os.times().system,
            "pg_s": sum(postgres_cpu_s(self.postmaster).values()),
            "wal_b": float(str(lsn[0])),
            "fpi": float(str(row[2])),
        }


def _per(before: dict[str, float], after: dict[str, float], n: int) -> dict[str, float]:
    return {
        "api_us": round((after["process_s"] - before["process_s"]) / n * 1e6, 1),
        # The kernel's part of it (sockets to PostgreSQL: on loopback the sender's system
        # call does much of the receiving side's work too).
        "api_sys_us": round((after["system_s"] - before["system_s"]) / n * 1e6, 1),
        "pg_us": round((after["pg_s"] - before["pg_s"]) / n * 1e6, 1),
        "wal_bytes": round((after["wal_b"] - before["wal_b"]) / n, 1),
        "fpi": round((after["fpi"] - before["fpi"]) / n, 3),
    }


async def _runner_step(app: Any, orders: int, batch: int) -> int:
    """The runner's statements per SMS: claim, begin the attempt, record the acceptance."""
    from duka.notifications.outbox.store import Outbox

    outbox, done = Outbox(app.state.db), 0
    message_ids: list[str] = []
    while done < orders:
        token = uuid.uuid4()
        claimed = await outbox.claim(token, batch, 60.0)
        if not claimed:
            break
        await outbox.begin_attempts([(sms.id, token) for sms in claimed])
        accepted = [(sms.id, f"ATXid_{uuid.uuid4().hex}") for sms in claimed]
        await outbox.accept_many(accepted)
        message_ids += [m for _, m in accepted]
        done += len(claimed)
    app.state.bench_message_ids = message_ids
    return done


async def _life(
    app: Any, driver: Driver, probe: Probe, orders: int, concurrency: int
) -> dict[str, dict[str, float]]:
    steps: dict[str, dict[str, float]] = {}
    before = probe.read()
    bodies = [driver.bodies[i % len(driver.bodies)] for i in range(orders)]
    created = await driver.posts("/api/v1/orders", bodies, concurrency, json_body=True)
    steps["order"] = _per(before, after := probe.read(), orders)
    sms = await _runner_step(app, orders, concurrency)
    steps["runner"] = _per(after, before := probe.read(), max(sms, 1))
    forms = [
        f"id={m}&status=Success&phoneNumber=%2B254700000001&networkCode=63902&retryCount=0".encode()
        for m in app.state.bench_message_ids
    ]
    await driver.posts(REPORT_PATH, forms, concurrency, json_body=False)
    steps["report"] = _per(before, after := probe.read(), max(len(forms), 1))
    await driver.gets([f"/api/v1/orders/{i}" for i in created], concurrency)
    steps["read"] = _per(after, before := probe.read(), max(len(created), 1))
    lists = max(orders // 5, 1)
    await driver.gets(["/api/v1/orders?limit=20"] * lists, concurrency)
    steps["list"] = _per(before, probe.read(), lists)
    return steps


async def _measure(args: argparse.Namespace, token: str, db: BenchDatabase) -> dict[str, Any]:
    from api.main import create_app

    app = create_app()
    probe = Probe(db, db.config.pg_data_dir)
    levels = [int(c) for c in args.concurrency.split(",")]
    rounds: dict[int, list[dict[str, dict[str, float]]]] = {c: [] for c in levels}
    async with app.router.lifespan_context(app):
        driver = Driver(app, token, order_bodies(args.customers))
        for level in levels:  # keys fetched, snapshots taken, statements prepared
            db.clear_orders()
            await _life(app, driver, probe, min(args.orders, 500), level)
        for n in range(args.rounds):
            for level in levels:  # interleaved: a slower minute of the machine hits each
                db.clear_orders()
                steps = await _life(app, driver, probe, args.orders, level)
                rounds[level].append(steps)
                print(f"[request-cpu] round {n + 1}, {level} at a time: {steps}", flush=True)
        statuses = dict(driver.statuses)
    summary: dict[str, Any] = {}
    for level, per_round in rounds.items():
        for step in STEPS:
            for key in ("api_us", "api_sys_us", "pg_us", "wal_bytes", "fpi"):
                values = [r[step][key] for r in per_round]
                summary[f"{step}, {level} at a time, {key}"] = {
                    "best": min(values),
                    "median": statistics.median(values),
                    "max": max(values),
                }
    return {"summary": summary, "rounds": rounds, "statuses": statuses}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.request_cpu", description=__doc__)
    parser.add_argument("--orders", type=int, default=2000, help="orders per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", default="1,4,32", help="levels, comma-separated")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--pg-port", type=int, default=54347)
    parser.add_argument("--label", default="", help="a name for this run in the JSON")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()

    config = BenchConfig(
        pg_port=args.pg_port,
        pg_data_dir=ROOT / ".state" / "bench-request-cpu" / "data",
        customers=args.customers,
    )
    meta = machine_info()  # before the run: its load average is the machine's, not ours
    db = BenchDatabase(config)
    result = run_in_process(
        db,
        "request-cpu.log",
        lambda token: _measure(args, token, db),
        {"DUKA_AT_CALLBACK_SECRET": CALLBACK_SECRET},
    )
    result = {
        "meta": meta,
        "label": args.label,
        "orders": args.orders,
        "concurrency": args.concurrency,
        **result,
    }
    print(json.dumps({"statuses": result["statuses"], **result["summary"]}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
