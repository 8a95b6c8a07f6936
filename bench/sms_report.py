"""The SMS report's read, and what the index it reads through costs the outbox's writes.

`python -m bench.sms_report [--rows 1000000] [--sms 2000] [--rounds 3] [--pg-port 54347]`

- **Report**: fills `notifications` with `--rows` delivered SMS spread evenly over a year
  (synthetic rows written in SQL, foreign-key triggers off) and times
  `duka.notifications.summary.summarize` for the last full hour, with
  `ix_notifications_updated_at` and without it (dropped, then built again).
- **Write cost**: PostgreSQL's CPU per SMS over its whole life in the outbox, through Duka's
  own statements: the order insert as the API sends it (one statement per order), the
  runner's claim (100 a batch), batched attempts and acceptances, and one delivery report
  per SMS as the webhook stores it. CPU is the server's whole process tree (backends,
  WAL writer, checkpointer, autovacuum), from `/proc`. Rounds alternate with and without
  the index on an emptied table, so that a slower minute of the machine hits both.

Results print as JSON (and go to `--json`); docs/benchmarks.md, "The SMS report", has them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.config import ROOT, BenchConfig
from bench.database import BenchDatabase
from bench.order_sql import order_customers, order_params
from bench.sms.allin import postgres_cpu_s, postmaster_pid
from duka.core.settings import Settings
from duka.db.engine import Database
from duka.notifications.outbox.reports import store_report
from duka.notifications.outbox.store import Outbox
from duka.notifications.summary import summarize
from duka.orders.writes import INSERT_ORDER

INDEX = "ix_notifications_updated_at"
CREATE_INDEX = f"CREATE INDEX IF NOT EXISTS {INDEX} ON notifications (updated_at)"
DROP_INDEX = f"DROP INDEX IF EXISTS {INDEX}"
CLAIM_BATCH = 100


def _server_cpu_s(data_dir: Path) -> float:
    """CPU seconds of the whole cluster (postmaster and children, living and exited)."""
    return sum(postgres_cpu_s(postmaster_pid(data_dir)).values())


def _fill(db: BenchDatabase, rows: int) -> None:
    with db.connect() as conn:
        have = conn.execute("SELECT count(*)::int FROM notifications").fetchone()
        if have is not None and int(str(have[0])) >= rows:
            return
        db.clear_orders()
        started = time.monotonic()
        print(f"[sms-report] filling {rows:,} delivered SMS over a year", flush=True)
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute("SET LOCAL statement_timeout = 0")
            conn.execute(
                "INSERT INTO orders (id, customer_id, item, amount, currency, created_by, "
                "created_at) SELECT gen_random_uuid(), (SELECT id FROM customers LIMIT 1), "
                "'Tea', 5, 'KES', 'bench', now() - make_interval(secs => i * 31536000.0 / %s) "
                "FROM generate_series(1, %s) i",
                (rows, rows),
            )
            conn.execute(
                "INSERT INTO notifications (id, order_id, recipient, body, status, sent_at, "
                "updated_at, created_at, delivered_at, cost_amount, cost_currency, encoding, "
                "segments) SELECT gen_random_uuid(), o.id, '+254700000001', 'Hello', "
                "'delivered', o.created_at + interval '1 second', "
                "o.created_at + interval '5 seconds', o.created_at, "
                "o.created_at + interval '5 seconds', 0.8, 'KES', 'GSM-7', 1 FROM orders o"
            )
        conn.execute("VACUUM ANALYZE notifications")
        print(f"[sms-report] filled in {time.monotonic() - started:.0f} s", flush=True)


async def _report_ms(database: Database, repeats: int = 5) -> float:
    until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    since = until - timedelta(hours=1)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await summarize(database, since, until)
        times.append((time.perf_counter() - started) * 1e3)
    return round(statistics.median(times), 2)


async def _lifecycles(bench: BenchDatabase, database: Database, count: int) -> float:
    """PostgreSQL CPU ms per SMS for `count` SMS from order insert to delivery report."""
    outbox = Outbox(database)
    with bench.connect() as conn:
        customers = order_customers(conn)
        before = _server_cpu_s(bench.config.pg_data_dir)
        for n in range(count):
            conn.execute(INSERT_ORDER, order_params(customers[n % len(customers)], n), prepare=True)
    token = uuid.uuid4()
    while batch := await outbox.claim(token, CLAIM_BATCH, 60.0):
        await outbox.begin_attempts([(sms.id, token) for sms in batch])
        await outbox.accept_many([(sms.id, f"ATXid_{sms.id.hex}") for sms in batch])
        for sms in batch:
            await store_report(
                database,
                message_id=f"ATXid_{sms.id.hex}",
                status="Success",
                phone_number=sms.recipient,
                network_code="63902",
                failure_reason=None,
                retry_count=0,
            )
    spent = _server_cpu_s(bench.config.pg_data_dir) - before
    return round(spent * 1e3 / count, 3)


def _index(bench: BenchDatabase, present: bool) -> None:
    with bench.connect() as conn:
        conn.execute("SET statement_timeout = 0")
        conn.execute(CREATE_INDEX if present else DROP_INDEX)
        conn.execute("ANALYZE notifications")


async def _run(args: argparse.Namespace, bench: BenchDatabase) -> dict[str, Any]:
    settings = Settings(database_url=bench.url, db_statement_timeout_ms=0)
    database = Database(bench.url, settings)
    results: dict[str, Any] = {"rows": args.rows, "sms": args.sms}
    try:
        with bench.connect() as conn:
            seeded = conn.execute("SELECT count(*) FROM customers").fetchone()
        if not seeded or not seeded[0]:
            bench.reset()
        _fill(bench, args.rows)
        for present in (False, True):
            _index(bench, present)
            key = "report_ms_with_index" if present else "report_ms_without_index"
            results[key] = await _report_ms(database)
            print(f"[sms-report] {key} over {args.rows:,} rows: {results[key]}", flush=True)
        bench.clear_orders()
        per: dict[str, list[float]] = {"with_index": [], "without_index": []}
        for _ in range(args.rounds):
            for present in (True, False):
                name = "with_index" if present else "without_index"
                bench.clear_orders()
                _index(bench, present)
                per[name].append(await _lifecycles(bench, database, args.sms))
                print(f"[sms-report] pg ms per SMS {name}: {per[name][-1]}", flush=True)
        for name, values in per.items():
            results[f"pg_ms_per_sms_{name}"] = {
                "median": statistics.median(values),
                "rounds": values,
            }
    finally:
        _index(bench, True)
        await database.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sms_report", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="history rows to report over")
    parser.add_argument("--sms", type=int, default=2000, help="SMS lifecycles per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-port", type=int, default=54347)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    config = BenchConfig(
        pg_port=args.pg_port, pg_data_dir=ROOT / ".state" / "bench-sms-report" / "data"
    )
    bench = BenchDatabase(config)
    bench.start()
    try:
        results = asyncio.run(_run(args, bench))
    finally:
        bench.stop()
    print(json.dumps(results), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
