"""The benchmark's own PostgreSQL: an embedded server with its own data folder and port,
never the dev database (.state/postgres) nor the tests' (.state/test-postgres)."""

from __future__ import annotations

import sys

import psycopg

from bench.config import BenchConfig
from duka.core.settings import Settings
from duka.db import migrate
from duka.db.embedded import EmbeddedPostgres

# Same shape as the codes Duka generates ("CUST-000042"), so codes and lookups are realistic.
CODE_FORMAT = "CUST-{:06d}"

_FIRST_NAMES = ("Wanjiku", "Otieno", "Achieng", "Kamau", "Njeri", "Mwangi", "Atieno", "Kiptoo")
_LAST_NAMES = ("Kariuki", "Odhiambo", "Mutua", "Chebet", "Wafula", "Njoroge", "Omondi", "Kilonzo")


def customer_code(n: int) -> str:
    return CODE_FORMAT.format(n)


class BenchDatabase:
    def __init__(self, config: BenchConfig) -> None:
        self.config = config
        self.server = EmbeddedPostgres(
            data_dir=config.pg_data_dir, port=config.pg_port, database=config.database
        )
        self.url = self.server.url

    def start(self) -> None:
        self.server.ensure_running()
        migrate.upgrade(Settings(database_url=self.url).sqlalchemy_url(self.url))

    def stop(self) -> None:
        self.server.stop()

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url, autocommit=True)

    def reset(self) -> None:
        """Empty every table and seed the customers the load generators pick from."""
        names = [
            f"{_FIRST_NAMES[i % len(_FIRST_NAMES)]} {_LAST_NAMES[(i // 8) % len(_LAST_NAMES)]}"
            for i in range(64)
        ]
        with self.connect() as conn:
            conn.execute(
                "TRUNCATE customers, orders, notifications, idempotency_keys, "
                "rate_limit_buckets CASCADE"
            )
            with (
                conn.cursor() as cur,
                cur.copy("COPY customers (code, name, phone) FROM STDIN") as copy,
            ):
                for n in range(1, self.config.customers + 1):
                    # +2547XXXXXXXX: a Kenyan mobile number in E.164, distinct per customer.
                    copy.write_row((customer_code(n), names[n % len(names)], f"+2547{n:08d}"))
            conn.execute("SELECT setval('customer_code_seq', %s)", (self.config.customers,))
            conn.execute("VACUUM ANALYZE customers")
        print(f"[bench] seeded {self.config.customers} customers", file=sys.stderr, flush=True)

    def clear_orders(self) -> None:
        """Start each measurement from empty order tables and a fresh checkpoint, so one
        phase's dirty pages and table growth do not slow the next."""
        with self.connect() as conn:
            conn.execute("TRUNCATE orders, notifications, idempotency_keys CASCADE")
            conn.execute("CHECKPOINT")

    def counts(self) -> tuple[int, int]:
        with self.connect() as conn:
            orders = conn.execute("SELECT count(*) FROM orders").fetchone()
            notes = conn.execute("SELECT count(*) FROM notifications").fetchone()
        assert orders is not None
        assert notes is not None
        return int(str(orders[0])), int(str(notes[0]))

    def postmaster_pid(self) -> int | None:
        """The server's main process (its backends are its children), for CPU accounting."""
        try:
            return int((self.config.pg_data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            return None

    def server_version(self) -> str:
        with self.connect() as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"
