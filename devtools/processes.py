"""Stopping a child process of the dev tooling: asked first, killed if it does not listen."""

from __future__ import annotations

import subprocess


def stop_process(
    process: subprocess.Popen[bytes], grace_s: float, kill_wait_s: float | None = None
) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `grace_s` (and then wait up to
    `kill_wait_s` for it to be gone, when given)."""
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        if kill_wait_s is not None:
            process.wait(timeout=kill_wait_s)
