"""The two HTTP servers under test, each a uvicorn process tree started and stopped here."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from api.cli import SERVER_HTTP, SERVER_LOOP
from bench.config import RESULTS_DIR, ROOT, BenchConfig
from devtools.http_wait import NotReadyError, wait_for_http


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    pid: int
    runtime: tuple[str, ...] = ()
    """The event loop and HTTP parser libraries its workers loaded (`server_runtime`)."""


# Limits far above what one benchmark principal sends, so that none is refused while the
# limiter still does all its work (leases from PostgreSQL included).
BENCH_LIMITS = {
    "DUKA_LIMIT_ORDERS_PER_MINUTE": "100000000",
    "DUKA_LIMIT_ORDERS_BURST": "10000000",
    "DUKA_LIMIT_ORDERS_PER_DAY": "1000000000",
    "DUKA_LIMIT_UPLOADS_PER_HOUR": "100000",
}


def _duka_env(config: BenchConfig, database_url: str, issuer: str) -> dict[str, str]:
    return {
        **BENCH_LIMITS,
        **os.environ,
        "DUKA_DATABASE_URL": database_url,
        "DUKA_OIDC_ISSUER": issuer,
        "DUKA_HOST": "127.0.0.1",
        "DUKA_PORT": str(config.duka_port),
        "DUKA_WORKERS": str(config.workers),
        "DUKA_LOG_LEVEL": "info",  # start-up lines only: the access log stays off
    }


def duka_command(
    config: BenchConfig, database_url: str, issuer: str, **settings: str
) -> tuple[list[str], dict[str, str]]:
    """`duka serve`, the production entry point, configured only through DUKA_* settings
    (`settings` adds some, e.g. DUKA_OIDC_TOKEN_CACHE_SIZE="0")."""
    env = {**_duka_env(config, database_url, issuer), **settings}
    return [sys.executable, "-m", "api.cli", "serve"], env


def unverified_command(
    config: BenchConfig, database_url: str, issuer: str
) -> tuple[list[str], dict[str, str]]:
    """Duka with tokens taken on trust (bench/unverified_app.py), on Duka's port."""
    env = _duka_env(config, database_url, issuer)
    return _uvicorn("bench.unverified_app:app", config.duka_port, config.workers), env


def lean_command(config: BenchConfig, database_url: str) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "BENCH_DATABASE_URL": database_url}
    return _uvicorn("bench.lean_app:app", config.lean_port, config.workers), env


def _uvicorn(app: str, port: int, workers: int) -> list[str]:
    # The same uvicorn options `duka serve` passes, so only the application differs: the
    # same event loop and HTTP parser too (issue 15: the baseline gets what Duka uses).
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "info",
        "--no-access-log",
        "--proxy-headers",
        "--no-server-header",
        "--loop",
        SERVER_LOOP,
        "--http",
        SERVER_HTTP,
    ]


_RUNTIME_LIBRARIES = ("uvloop", "httptools")


def server_runtime(pid: int) -> tuple[str, ...]:
    """Which of uvloop and httptools the server's workers (its children, or itself with one
    worker) have loaded, from their memory maps (both are C extensions): that both servers
    of a comparison run on the same loop and parser. Empty means asyncio's loop and h11."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    found: set[str] = set()
    for worker in children or [str(pid)]:
        try:
            maps = Path(f"/proc/{worker}/maps").read_text()
        except OSError:
            continue
        found.update(name for name in _RUNTIME_LIBRARIES if f"/{name}/" in maps)
    return tuple(sorted(found))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    # uvicorn's supervisor stops its workers on SIGTERM; its own session holds only them.
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def check_port_free(port: int) -> None:
    """Fail clearly when something else already listens there (or it answers for us)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(
                f"127.0.0.1:{port} is already in use: stop that process or pick another port "
                "(BENCH_DUKA_PORT, BENCH_LEAN_PORT, BENCH_ISSUER_PORT)"
            )


@contextmanager
def running(
    name: str, command: tuple[list[str], dict[str, str]], port: int, ready_path: str
) -> Iterator[Server]:
    argv, env = command
    check_port_free(port)
    log_path = RESULTS_DIR / f"{name}-server.log"
    print(f"[bench] starting {name} on 127.0.0.1:{port} (log: {log_path})", file=sys.stderr)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            try:
                wait_for_http(base_url + ready_path, timeout_s=180, process=proc, what=name)
            except NotReadyError:
                tail = log_path.read_text(errors="replace")[-3000:]
                print(f"[bench] {name} server log:\n{tail}", file=sys.stderr)
                raise
            runtime = server_runtime(proc.pid)
            print(f"[bench] {name} workers run on {', '.join(runtime)}", file=sys.stderr)
            yield Server(name=name, base_url=base_url, pid=proc.pid, runtime=runtime)
        finally:
            _stop(proc)
