"""PostgreSQL's CPU per order insert, with and without the suppression list's probe.

`python -m bench.order_sql [--statements 5000] [--rounds 5] [--suppressed 0,10000]` runs
Duka's order insert (duka/orders/writes.py's INSERT_ORDER, one autocommit statement per
order, as the API sends it) from one psycopg connection against the same embedded
PostgreSQL as bench/order_cpu.py, and reads the serving backend's CPU time from
`/proc/<pid>/schedstat` (nanoseconds on a CPU) around each round: the database's own cost
per order, commit included, which `time.process_time()` of the API cannot see. Variants:

- `probe`: the statement as shipped (the outbox row's status asks `sms_suppressions`);
- `no-probe`: the same statement with the status a constant `pending` (what the insert was
  before the suppression list);

each with the suppression list empty and holding `--suppressed` numbers (none of them a
seeded customer's). Also prints each variant's `EXPLAIN (ANALYZE, BUFFERS)` once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from bench.config import ROOT, BenchConfig
from bench.database import BenchDatabase
from duka.notifications.outbox.sql import PENDING, SUPPRESSED
from duka.orders.writes import INSERT_ORDER

_PROBE_START = "CASE WHEN EXISTS (SELECT 1 FROM sms_suppressions"


def without_probe(statement: str) -> str:
    """The insert with the status a constant, as before the suppression list."""
    start = statement.index(_PROBE_START)
    end = statement.index(f"THEN {SUPPRESSED} ELSE {PENDING} END", start)
    end += len(f"THEN {SUPPRESSED} ELSE {PENDING} END")
    return statement[:start] + PENDING + statement[end:]


def _backend_cpu_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def order_customers(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT id, xmin::text FROM customers ORDER BY code").fetchall()


def order_params(customer: tuple[Any, ...], n: int) -> dict[str, Any]:
    return {
        "customer_id": customer[0],
        "version": customer[1],
        "id": uuid.uuid4(),
        "item": "Maize flour 2kg",
        "quantity": 2,
        "amount": Decimal("1250.00"),
        "currency": "KES",
        "ordered_at": datetime.now(UTC),
        "created_by": "bench-load-generator",
        "body": f"Hi Wanjiku Kariuki, we received your order ORD-{n:08X}: 2 x Maize flour 2kg, "
        "KES 1,250.00 on 05 Dec 09:00. Thank you!",
        "traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01",
    }


def _suppress(conn: psycopg.Connection[Any], count: int) -> None:
    conn.execute("TRUNCATE sms_suppressions")
    if count:
        # +2548…: numbers no seeded customer has (theirs are +2547…).
        conn.execute(
            "INSERT INTO sms_suppressions (phone, source) "
            "SELECT '+2548' || lpad(n::text, 8, '0'), 'opt_out' FROM generate_series(1, %s) n",
            (count,),
        )
    conn.execute("VACUUM ANALYZE sms_suppressions")


def _round(conn: psycopg.Connection[Any], statement: str, statements: int) -> float:
    customers = order_customers(conn)
    pid = conn.info.backend_pid
    before = _backend_cpu_ns(pid)
    for n in range(statements):
        conn.execute(statement, order_params(customers[n % len(customers)], n), prepare=True)
    return (_backend_cpu_ns(pid) - before) / statements / 1e3


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.order_sql", description=__doc__)
    parser.add_argument("--statements", type=int, default=5000, help="inserts per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--suppressed", default="0,10000", help="list sizes to try")
    parser.add_argument("--pg-port", type=int, default=54346)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    config = BenchConfig(
        pg_port=args.pg_port, pg_data_dir=ROOT / ".state" / "bench-order-cpu" / "data"
    )
    db = BenchDatabase(config)
    db.start()
    db.reset()
    variants = {"probe": INSERT_ORDER, "no-probe": without_probe(INSERT_ORDER)}
    results: dict[str, Any] = {}
    try:
        with db.connect() as conn:
            for size in (int(s) for s in args.suppressed.split(",")):
                _suppress(conn, size)
                for name, statement in variants.items():
                    _round(conn, statement, 200)  # prepared, caches warm
                    plan = conn.execute(
                        f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}",
                        order_params(order_customers(conn)[0], 0),
                    ).fetchall()
                    print(f"--- {name}, {size} suppressed\n" + "\n".join(str(r[0]) for r in plan))
                # Interleaved rounds, so that a slower minute of the machine hits both.
                per: dict[str, list[float]] = {name: [] for name in variants}
                for _ in range(args.rounds):
                    for name, statement in variants.items():
                        db.clear_orders()
                        per[name].append(round(_round(conn, statement, args.statements), 1))
                for name, values in per.items():
                    key = f"{name}, {size} suppressed"
                    results[key] = {
                        "best_us": min(values),
                        "median_us": statistics.median(values),
                        "rounds_us": values,
                    }
                    print(f"[order-sql] {key}: {results[key]}", flush=True)
            _suppress(conn, 0)
    finally:
        db.stop()
    print(json.dumps(results), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
