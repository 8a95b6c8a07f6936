"""The processes one Order SMS benchmark run needs: its own embedded PostgreSQL (port
54343), a Prefect server on it, the Africa's Talking sandbox, and the SMS runner."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench.sms.allin import AllInMeter, postmaster_pid
from devtools.prefect_server import PrefectServer, free_port
from duka.core.settings import Settings
from duka.db import migrate
from duka.db.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[2]
PG_PORT = 54343
API_KEY = "bench-key"


@dataclass
class Stack:
    pg: EmbeddedPostgres
    prefect: PrefectServer
    sandbox_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    runners: list[subprocess.Popen[bytes]] = field(default_factory=list)
    runner_dir: Path | None = None
    """Where the runner's code comes from (None: this tree); bench/sms/alternate.py sets
    it to an exported commit to measure it against this tree's code."""

    @property
    def prefect_pid(self) -> int:
        process = self.prefect._process
        if process is None:
            raise RuntimeError("the Prefect server is not running")
        return process.pid

    def meter(self) -> AllInMeter:
        """CPU snapshots of a client, this Prefect server and the whole cluster."""
        return AllInMeter(self.prefect_pid, postmaster_pid(self.pg.data_dir))

    def restart_prefect(self, env: dict[str, str], database: dict[str, str]) -> None:
        """The Prefect server again, on the same port, with `env` over its settings and
        `database` as its database's settings (a lever measured on the same data)."""
        self.prefect.stop()
        self.prefect.extra_env = dict(env)
        self.prefect.database_settings = dict(database)
        self.prefect.start()
        self.prefect.wait_ready()

    def runner_env(self, **sms: str) -> dict[str, str]:
        return {
            **os.environ,
            "DUKA_DATABASE_URL": self.pg.url,
            "DUKA_AT_API_KEY": API_KEY,
            "DUKA_AT_BASE_URL": self.sandbox_url,
            "DUKA_SMS_SWEEP_INTERVAL_S": "10",
            **{f"DUKA_SMS_{k.upper()}": v for k, v in sms.items()},
            **self.prefect.client_env(),
        }

    def start_runner(self, count: int = 1, **sms: str) -> None:
        """`count` runner processes side by side (they share the outbox safely)."""
        self.stop_runner()
        self.runners = [
            subprocess.Popen(
                [sys.executable, "-m", "flows"],
                env=self.runner_env(**sms),
                cwd=self.runner_dir,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(count)
        ]

    def stop_runner(self) -> None:
        for runner in self.runners:
            runner.terminate()
        for runner in self.runners:
            runner.wait(timeout=60)
        self.runners = []

    def stop(self) -> None:
        self.stop_runner()
        for process in self.processes:
            process.terminate()
            process.wait(timeout=20)
        self.prefect.stop()
        self.pg.stop()


def start_stack(
    prefect_database: str = "prefect_bench", fresh_prefect: bool = False, pg_port: int = PG_PORT
) -> Stack:
    """The stack; `fresh_prefect` drops `prefect_database` first (an empty history)."""
    pg = EmbeddedPostgres(
        data_dir=ROOT / ".state" / "bench-sms-postgres" / "data",
        port=pg_port,
        database="duka_bench_sms",
    )
    pg.ensure_running()
    migrate.upgrade(Settings(database_url=pg.url).sqlalchemy_url(pg.url))
    prefect_url = pg.url.rsplit("/", 1)[0] + "/" + prefect_database
    if fresh_prefect:
        drop_database(prefect_url)
    prefect = PrefectServer(
        database_url=prefect_url,
        home=ROOT / ".state" / "bench-sms-prefect",
        ui=False,
        all_services=False,
    )
    prefect.start()
    port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "devtools.at_sandbox", "--port", str(port), "--api-key", API_KEY],
        env={**os.environ, "AT_SANDBOX_LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stack = Stack(pg, prefect, f"http://127.0.0.1:{port}", [sandbox])
    prefect.wait_ready()
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{stack.sandbox_url}/_sandbox/health", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return stack


def drop_database(url: str) -> None:
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    name = make_url(url).database
    if not name:
        raise ValueError("the URL names no database")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
