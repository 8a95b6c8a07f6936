"""Build the project's image through deploy/image/build.py (cached) and run containers of it
with the podman flags that work on this machine (deploy/image/podman.py)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
BUILD = ROOT / "deploy" / "image" / "build.py"
BUILD_TIMEOUT_S = 3600  # a cold build on a busy two-core machine, debootstrap included


def _podman_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "duka_image_podman", ROOT / "deploy/image/podman.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PODMAN = _podman_module()


def require_podman() -> None:
    """Fail in CI (CI=true), skip elsewhere, when podman cannot run here."""
    if shutil.which(PODMAN.podman_bin()) is None or os.geteuid() != 0:
        why = "podman (as root) is needed to build and run the image"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)


def build_image(name: str = "duka") -> str:
    """`python3 deploy/image/build.py NAME`: its reference (the last stdout line)."""
    done = subprocess.run(
        [sys.executable, str(BUILD), name],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"building {name} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}")
    return done.stdout.strip().splitlines()[-1]


def podman(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        PODMAN.podman(*args), capture_output=True, text=True, timeout=timeout_s, check=False
    )


# Every container runs as the image sets it up: its own user, a read-only root filesystem
# and a tmpfs /tmp (the emptyDir in the chart).
HARDENED = ("--read-only", "--tmpfs", "/tmp:rw,size=256m,mode=1777")


def run_once(
    image: str, *argv: str, options: tuple[str, ...] = (), timeout_s: float = 300
) -> subprocess.CompletedProcess[str]:
    """`podman run --rm` of argv in the image, to completion."""
    return subprocess.run(
        PODMAN.podman_run("--rm", *HARDENED, *options, image, *argv),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


class Container:
    """A detached container: started on enter, its logs kept, removed on exit."""

    def __init__(
        self, image: str, *argv: str, options: tuple[str, ...] = (), read_only: bool = True
    ) -> None:
        hardened = HARDENED if read_only else ()
        self.argv = PODMAN.podman_run("-d", *hardened, *options, image, *argv)
        self.id = ""

    def __enter__(self) -> Container:
        done = subprocess.run(self.argv, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"podman run failed: {done.stderr}"
        self.id = done.stdout.strip().splitlines()[-1]
        return self

    def logs(self) -> str:
        done = podman("logs", self.id)
        return done.stdout + done.stderr

    def running(self) -> bool:
        done = podman("inspect", "--format", "{{.State.Running}}", self.id)
        return done.stdout.strip() == "true"

    def wait_for_log(self, text: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            logs = self.logs()
            if text in logs:
                return logs
            assert self.running(), f"the container stopped before {text!r}:\n{logs[-4000:]}"
            time.sleep(1)
        raise AssertionError(f"no {text!r} within {timeout_s} s:\n{self.logs()[-4000:]}")

    def __exit__(self, *exc: object) -> None:
        if self.id:
            podman("stop", "--time", "10", self.id, timeout_s=60)
            podman("rm", "--force", self.id, timeout_s=60)


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """Distinct free ports (all held open while picking, so none repeats)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def wait_until(check: Callable[[], object], what: str, timeout_s: float) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
