"""Child processes for the local Kubernetes API: logged to a file, tied to our lifetime."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

Served = TypeVar("Served")

PR_SET_PDEATHSIG = 1
STOP_GRACE_S = 15.0


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    # Linux: if the test run is killed outright, the kernel stops etcd and the apiserver
    # too, instead of leaving them holding ports and temp folders.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedProcess:
    def __init__(self, name: str, argv: list[str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        with log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: a Ctrl-C meant for us does not cut it off mid-teardown.
                start_new_session=True,
                preexec_fn=_die_with_parent if os.uname().sysname == "Linux" else None,
            )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def exited(self) -> bool:
        return self._proc.poll() is not None

    def stop(self) -> None:
        """SIGTERM, a grace period, then SIGKILL; always reaps the process."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            with self.log_path.open(errors="replace") as log:
                tail = "".join(deque(log, maxlen=lines))
        except OSError as exc:
            tail = f"(log unreadable: {exc})\n"
        code = self._proc.poll()
        state = "running" if code is None else f"exit code {code}"
        return f"--- last lines of {self.log_path} ({self.name}, {state}):\n{tail}"


def serve_in_foreground(
    served: AbstractContextManager[Served], ready_lines: Callable[[Served], list[str]]
) -> int:
    """`python -m` form of a local cluster part: start it, print how to reach it, and keep
    it until Ctrl-C or SIGTERM, which both leave through the context manager's cleanup.
    Further signals are ignored from then on: `uv run` forwards a SIGTERM it got itself,
    so a second one arrives mid-cleanup and used to leave etcd's folder behind."""

    def stop(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    with served as running:
        print("\n".join(ready_lines(running)), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            print("stopping", file=sys.stderr)
    return 0
