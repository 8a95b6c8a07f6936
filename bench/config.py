"""Benchmark knobs, read once from BENCH_* environment variables by the entry point."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
ORDERS_PATH = "/api/v1/orders"
GRAPHQL_PATH = "/graphql"
UPLOAD_PATH = "/api/v1/uploads/orders"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _levels(name: str, default: str) -> tuple[int, ...]:
    return tuple(int(x) for x in os.environ.get(name, default).replace(",", " ").split())


@dataclass(frozen=True)
class BenchConfig:
    # Seconds of measured load per concurrency level (and for each fixed-rate run).
    duration_s: int = 25
    # Unmeasured load before a server's first level: fills pools, caches and prepared plans.
    warmup_s: int = 3
    levels: tuple[int, ...] = (8, 16, 32)
    # The group-commit phase's levels: POST /orders with DUKA_ORDER_GROUP_COMMIT off and on.
    group_commit_levels: tuple[int, ...] = (8, 16, 32, 64)
    # Uvicorn workers for Duka and for the lean app alike.
    workers: int = 2
    customers: int = 1000
    upload_rows: int = 100_000
    pg_port: int = 54340
    pg_data_dir: Path = field(default_factory=lambda: ROOT / ".state" / "bench-postgres" / "data")
    database: str = "duka_bench"
    duka_port: int = 18480
    lean_port: int = 18481
    # The stand-in OpenID Connect issuer Duka fetches its token keys from (bench/issuer.py).
    issuer_port: int = 18489
    # Open-loop generator connections: enough that a slow answer never delays the schedule.
    fixed_rate_connections: int = 64
    # Fraction of Duka's peak throughput the fixed-rate run offers (the p99 target is at 0.5).
    fixed_rate_fraction: float = 0.5
    phases: tuple[str, ...] = (
        "pgbench",
        "duka",
        "graphql",
        "lean",
        "upload",
        "auth",
        "limits",
        "metrics",
        "group_commit",
    )
    keep_postgres: bool = False
    # Shown in the summary heading, e.g. "smoke run" for a short, noisy check.
    label: str = ""

    @classmethod
    def from_env(cls) -> BenchConfig:
        return cls(
            duration_s=_int("BENCH_DURATION", cls.duration_s),
            warmup_s=_int("BENCH_WARMUP", cls.warmup_s),
            levels=_levels("BENCH_LEVELS", "8 16 32"),
            group_commit_levels=_levels("BENCH_GROUP_COMMIT_LEVELS", "8 16 32 64"),
            workers=_int("BENCH_WORKERS", cls.workers),
            customers=_int("BENCH_CUSTOMERS", cls.customers),
            upload_rows=_int("BENCH_UPLOAD_ROWS", cls.upload_rows),
            pg_port=_int("BENCH_PG_PORT", cls.pg_port),
            duka_port=_int("BENCH_DUKA_PORT", cls.duka_port),
            lean_port=_int("BENCH_LEAN_PORT", cls.lean_port),
            issuer_port=_int("BENCH_ISSUER_PORT", cls.issuer_port),
            fixed_rate_connections=_int("BENCH_FIXED_RATE_CONNECTIONS", 64),
            fixed_rate_fraction=_float("BENCH_FIXED_RATE_FRACTION", 0.5),
            phases=tuple(
                os.environ.get(
                    "BENCH_PHASES",
                    "pgbench duka graphql lean upload auth limits metrics group_commit",
                )
                .replace(",", " ")
                .split()
            ),
            keep_postgres=os.environ.get("BENCH_KEEP_POSTGRES", "") == "1",
            label=os.environ.get("BENCH_LABEL", ""),
        )
