"""A Prefect server as a child process, on its own database of a PostgreSQL server: for
`make dev` (devtools/sms_stack.py), the tests and the benchmark.

The embedded PostgreSQL ships pg_trgm, which Prefect's migrations need; Prefect creates its
tables on first start (migrations run at startup, which takes a while the first time).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from devtools.http_wait import NotReadyError, wait_for_http
from devtools.processes import stop_process

START_TIMEOUT_S = 180.0
# Services a server only for runs started by clients does not need (no deployments, no
# workers, no automations): less CPU on a small machine.
OPTIONAL_SERVICES = (
    "SCHEDULER",
    "LATE_RUNS",
    "FOREMAN",
    "CANCELLATION_CLEANUP",
    "PAUSE_EXPIRATIONS",
    "REPOSSESSOR",
    "TRIGGERS",
)


# Retention, on by default in every Prefect server Duka starts (the same values are in the
# duka-prefect image and the devstack chart: tests/unit/devtools/test_prefect_retention.py).
# Prefect's own vacuum service deletes finished flow runs with their task runs, logs and
# artifacts once they ended RETENTION_DAYS ago, and events EVENT_RETENTION_DAYS old; the
# runner deletes Duka's abandoned runs (flows/retention.py). The environment overrides any
# of them. docs/operations.md, "Prefect history retention".
RETENTION_DAYS = 14
EVENT_RETENTION_DAYS = 7
RETENTION_ENV = {
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": str(RETENTION_DAYS * 86400),
    "PREFECT_SERVER_EVENTS_RETENTION_PERIOD": f"P{EVENT_RETENTION_DAYS}D",
}

# The cost of an SMS on Prefect's side, on in every Prefect server Duka starts (the same
# values in the duka-prefect image and the devstack chart; measured with
# `python -m bench.sms.levers`, docs/benchmarks.md "Order SMS"; docs/operations.md,
# "Prefect server settings"). The task-run recorder writes the states clients report in
# batches (up to 100 per transaction, at least every second) instead of a transaction per
# state: the UI shows a task run's state up to a second later. The event persister is
# off: task runs and their states are recorded all the same (the UI shows every send),
# but Prefect's Events page stays empty and nothing stores the three events per SMS.
THROUGHPUT_ENV = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "10",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
}
# PostgreSQL settings of Prefect's own database (ALTER DATABASE … SET): its history is
# operational data, so a crash of PostgreSQL may lose its last few hundred milliseconds of
# commits (never corrupt it) for fewer WAL flushes. Duka's own database keeps the default.
DATABASE_SETTINGS = {"synchronous_commit": "off"}


class PrefectServerError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def ensure_database(database_url: str, settings: dict[str, str] | None = None) -> None:
    """Create the database named by the libpq URL if it does not exist yet, and set its
    PostgreSQL `settings` (for the sessions that connect after)."""
    url = make_url(database_url)
    name = url.database
    if not name:
        raise ValueError("the Prefect database URL must name a database")
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        for key, value in (settings or {}).items():
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(name), sql.Identifier(key), sql.Literal(value)
                )
            )


@dataclass
class PrefectServer:
    database_url: str
    """libpq URL of the Prefect database (created when missing)."""
    home: Path
    """PREFECT_HOME of the server process."""
    host: str = "127.0.0.1"
    port: int = 0
    """0: a free port."""
    ui: bool = True
    all_services: bool = True
    log_file: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    """Set in the server's environment last (the tests shorten the vacuum's loop)."""
    database_settings: dict[str, str] = field(default_factory=lambda: dict(DATABASE_SETTINGS))
    """PostgreSQL settings of its database, set at every start."""
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def client_env(self) -> dict[str, str]:
        """What a client process (the runner) needs to talk to this server."""
        return {"PREFECT_API_URL": self.api_url}

    def server_env(self) -> dict[str, str]:
        async_url = make_url(self.database_url).set(drivername="postgresql+asyncpg")
        env = {
            **RETENTION_ENV,
            **THROUGHPUT_ENV,
            **os.environ,
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_DATABASE_CONNECTION_URL": async_url.render_as_string(hide_password=False),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": str(self.ui).lower(),
            "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
        env.pop("PREFECT_API_URL", None)
        if not self.all_services:
            for name in OPTIONAL_SERVICES:
                env[f"PREFECT_SERVER_SERVICES_{name}_ENABLED"] = "false"
        env.update(self.extra_env)
        return env

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the process (returns at once; `wait_ready` waits for its API)."""
        if self.running:
            return
        ensure_database(self.database_url, self.database_settings)
        self.home.mkdir(parents=True, exist_ok=True)
        if self.port == 0:
            self.port = free_port(self.host)
        log_path = self.log_file or self.home / "server.log"
        self._log = log_path.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed args
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--analytics-off",
                "--ui" if self.ui else "--no-ui",
            ],
            env=self.server_env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        try:
            wait_for_http(
                f"{self.api_url}/health",
                timeout_s=timeout_s,
                process=self._process,
                what="Prefect server",
            )
        except NotReadyError as exc:
            raise PrefectServerError(f"{exc}:\n{self.log_tail()}") from exc

    def log_tail(self, chars: int = 3000) -> str:
        path = self.log_file or self.home / "server.log"
        try:
            return path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            stop_process(process, grace_s=15, kill_wait_s=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> PrefectServer:
        self.start()
        self.wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
