"""The fair SMS claim's plan and time on a large backlog: `python -m bench.claim_plan`.

Seeds the benchmark's PostgreSQL (bench/database.py) with BENCH_CLAIM_BURST pending SMS
(default 200,000) to one recipient, as one customer's burst, plus BENCH_CLAIM_OTHERS
(default 2,000) recipients with one pending SMS each, then prints EXPLAIN (ANALYZE,
BUFFERS) of one claim of BENCH_CLAIM_LIMIT (100) rows and the median time of repeated
claims. Each claim runs in a transaction that is rolled back, so every run sees the same
backlog. Results are in docs/benchmarks.md.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid

from sqlalchemy import create_engine, text

from bench.config import BenchConfig
from bench.database import BenchDatabase
from duka.core.settings import Settings
from duka.notifications.outbox.claim import CLAIM

# The claim before issue 11, oldest first, for comparison.
OLDEST_FIRST = text(
    """
    WITH picked AS (
        SELECT id FROM notifications WHERE status = 'pending'
        ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED
    )
    UPDATE notifications n
    SET status = 'sending', claim_token = :token, updated_at = now()
    FROM picked WHERE n.id = picked.id
    RETURNING n.id, n.recipient
    """
)

SEED = """
WITH c AS (
    INSERT INTO customers (code, name, phone)
    SELECT 'PLAN-' || i, 'Customer ' || i, '+2547' || lpad(i::text, 8, '0')
    FROM generate_series(1, %(others)s + 1) AS i
    RETURNING id, phone
), o AS (
    INSERT INTO orders (id, customer_id, item, amount, currency, created_by)
    SELECT gen_random_uuid(), c.id, 'Tea', 5, 'KES', 'plan'
    FROM c CROSS JOIN LATERAL generate_series(
        1, CASE WHEN c.phone = '+254700000001' THEN %(burst)s ELSE 1 END)
    RETURNING id, customer_id
)
INSERT INTO notifications (id, order_id, recipient, body)
SELECT gen_random_uuid(), o.id, c.phone, 'Hello' FROM o JOIN c ON c.id = o.customer_id
"""


def main() -> int:
    burst = int(os.environ.get("BENCH_CLAIM_BURST", "200000"))
    others = int(os.environ.get("BENCH_CLAIM_OTHERS", "2000"))
    limit = int(os.environ.get("BENCH_CLAIM_LIMIT", "100"))
    db = BenchDatabase(BenchConfig.from_env())
    db.start()
    try:
        with db.connect() as conn:
            conn.execute("TRUNCATE customers, orders, notifications, idempotency_keys CASCADE")
            conn.execute(SEED, {"burst": burst, "others": others})
            conn.execute("VACUUM ANALYZE customers, orders, notifications")
        engine = create_engine(Settings(database_url=db.url).sqlalchemy_url(db.url))
        params = {"token": uuid.uuid4(), "limit": limit, "lease_s": 60.0, "after": ""}
        with engine.connect() as conn:
            plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + CLAIM.text), params)
            print("\n".join(row[0] for row in plan))
            conn.rollback()
            print(f"\n{burst} pending to one recipient + {others} recipients with one each:")
            for name, statement in (("fair claim", CLAIM), ("oldest first", OLDEST_FIRST)):
                times = []
                for _ in range(20):
                    started = time.perf_counter()
                    rows = conn.execute(statement, params).all()
                    times.append((time.perf_counter() - started) * 1000)
                    conn.rollback()
                print(
                    f"  {name}: a claim of {limit} took {statistics.median(times):.1f} ms "
                    f"(median of 20): {len(rows)} rows, "
                    f"{len({r.recipient for r in rows})} recipients"
                )
        engine.dispose()
    finally:
        if os.environ.get("BENCH_KEEP_POSTGRES") != "1":
            db.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
