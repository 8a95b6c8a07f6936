"""The two HTTP servers under test, each a uvicorn process tree started and stopped here."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from bench.config import RESULTS_DIR, ROOT, BenchConfig


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    pid: int


def duka_command(
    config: BenchConfig, database_url: str, issuer: str
) -> tuple[list[str], dict[str, str]]:
    """`duka serve`, the production entry point, configured only through DUKA_* settings."""
    env = {
        **os.environ,
        "DUKA_DATABASE_URL": database_url,
        "DUKA_OIDC_ISSUER": issuer,
        "DUKA_HOST": "127.0.0.1",
        "DUKA_PORT": str(config.duka_port),
        "DUKA_WORKERS": str(config.workers),
        "DUKA_LOG_LEVEL": "info",  # start-up lines only: the access log stays off
    }
    return [sys.executable, "-m", "api.cli", "serve"], env


def lean_command(config: BenchConfig, database_url: str) -> tuple[list[str], dict[str, str]]:
    # The same uvicorn options `duka serve` passes, so only the application differs.
    env = {**os.environ, "BENCH_DATABASE_URL": database_url}
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.lean_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(config.lean_port),
        "--workers",
        str(config.workers),
        "--log-level",
        "info",
        "--no-access-log",
        "--proxy-headers",
        "--no-server-header",
    ]
    return argv, env


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} not ready after {timeout_s:.0f}s")


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
                _wait_ready(base_url + ready_path, proc)
            except RuntimeError:
                tail = log_path.read_text(errors="replace")[-3000:]
                print(f"[bench] {name} server log:\n{tail}", file=sys.stderr)
                raise
            yield Server(name=name, base_url=base_url, pid=proc.pid)
        finally:
            _stop(proc)
