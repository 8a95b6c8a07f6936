"""The common frame of the in-process benchmarks (bench.order_cpu, bench.request_cpu): the
app built as `duka serve` builds a worker's, against a real embedded PostgreSQL and a local
token issuer, its log lines in a file, the measurement run on uvloop."""

from __future__ import annotations

import logging.config
import os
import socket
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from bench.config import RESULTS_DIR
from bench.database import BenchDatabase
from bench.issuer import BenchIssuer
from bench.servers import BENCH_LIMITS

Result = TypeVar("Result")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def configure_logging(level: str) -> None:
    """As `duka serve` configures its workers (uvicorn's default where a commit has none)."""
    try:
        from duka.core.logs import logging_config
        from duka.core.settings import get_settings
    except ImportError:  # a commit before Duka's own log format
        from uvicorn.config import LOGGING_CONFIG

        logging.config.dictConfig(LOGGING_CONFIG)
        logging.getLogger("uvicorn.error").setLevel(level.upper())
        return
    settings = get_settings()
    logging.config.dictConfig(logging_config(settings.log_format_effective, level, "api"))


def run_in_process(
    db: BenchDatabase,
    log_name: str,
    measure: Callable[[str], Coroutine[Any, Any, Result]],
    env: dict[str, str] | None = None,
) -> Result:
    """Start `db` (emptied, customers seeded) and an issuer, point Duka's settings at them,
    send this process's log lines to `bench/results/<log_name>`, and run `measure(token)`
    on uvloop; the database is stopped afterwards unless BENCH_KEEP_POSTGRES is set."""
    db.start()
    db.reset()
    issuer = BenchIssuer(free_port())
    os.environ.update(
        {
            **BENCH_LIMITS,
            "DUKA_DATABASE_URL": db.url,
            "DUKA_OIDC_ISSUER": issuer.issuer,
            "DUKA_LOG_LEVEL": os.environ.get("DUKA_LOG_LEVEL", "info"),
            **(env or {}),
        }
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    # Log lines to a file, as bench/servers.py sends a server's: stderr is the file now.
    with (RESULTS_DIR / log_name).open("ab") as log:
        os.dup2(log.fileno(), 2)
    configure_logging(os.environ["DUKA_LOG_LEVEL"])
    try:
        import uvloop

        with issuer.serving():
            result = uvloop.run(measure(issuer.token()))
    finally:
        if not os.environ.get("BENCH_KEEP_POSTGRES"):
            db.stop()
    return result
