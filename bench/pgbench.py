"""Database-only baseline: pgbench runs Duka's order transaction (order_txn.pgbench) with
N clients against the same PostgreSQL. Its throughput is the ceiling the database allows."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import TypedDict

from bench.config import BENCH_DIR
from bench.stats import in_ms, summarize
from duka.db.embedded import EmbeddedPostgres

SCRIPT = BENCH_DIR / "order_txn.pgbench"
_TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)
_FAILED = re.compile(r"^number of failed transactions: (\d+)", re.MULTILINE)


class PgbenchResult(TypedDict):
    tool: str
    clients: int
    duration_s: int
    transactions: int
    failed: int
    tps: float
    latency_ms: dict[str, float]


def pgbench_version(server: EmbeddedPostgres) -> str:
    done = subprocess.run(
        [str(server.bin("pgbench")), "--version"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def run_pgbench(
    server: EmbeddedPostgres, clients: int, duration_s: int, customers: int
) -> PgbenchResult:
    with tempfile.TemporaryDirectory(prefix="duka-pgbench-") as tmp:
        prefix = Path(tmp) / "txn"
        done = subprocess.run(
            [
                str(server.bin("pgbench")),
                "-n",  # no pgbench tables to vacuum
                "-M",
                "prepared",  # psycopg and asyncpg prepare repeated statements too
                "-c",
                str(clients),
                "-j",
                "1",  # like wrk: one load thread, the cores left to the server
                "-T",
                str(duration_s),
                "-D",
                f"customers={customers}",
                "-f",
                str(SCRIPT),
                "-l",
                f"--log-prefix={prefix}",
                "-h",
                "127.0.0.1",
                "-p",
                str(server.port),
                "-U",
                "postgres",
                server.database,
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
        # Per-transaction log lines: client_id txn_no latency_us script_no epoch_s epoch_us
        latencies = [
            float(line.split()[2])
            for log in Path(tmp).glob("txn.*")
            for line in log.read_text().splitlines()
            if line
        ]
    tps = _TPS.search(done.stdout)
    failed = _FAILED.search(done.stdout)
    summary = summarize(latencies)
    return PgbenchResult(
        tool="pgbench",
        clients=clients,
        duration_s=duration_s,
        transactions=summary["count"],
        failed=int(failed.group(1)) if failed else 0,
        tps=float(tps.group(1)) if tps else summary["count"] / duration_s,
        latency_ms=in_ms(summary),
    )
