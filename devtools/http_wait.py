"""Waiting for a local server to answer 200 on a URL: how the dev stack, the test harnesses
and the benchmarks know that a process they started is ready."""

from __future__ import annotations

import subprocess
import time

import httpx


class NotReadyError(RuntimeError):
    """The server exited, or did not answer 200 in time; the message says which."""


def wait_for_http(
    url: str,
    *,
    timeout_s: float,
    process: subprocess.Popen[bytes] | None = None,
    what: str = "server",
    interval_s: float = 0.25,
) -> None:
    """Poll `url` until it answers 200; fail early if `process` (the server) exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise NotReadyError(f"the {what} exited (code {process.returncode})")
        try:
            if httpx.get(url, timeout=min(2.0, timeout_s)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(interval_s)
    raise NotReadyError(f"the {what} did not answer at {url} within {timeout_s:.0f} s")
