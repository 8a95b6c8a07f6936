"""The podman command line that works on this kind of machine, in one place.

Debian's podman 4.3 runs containers here only with runc (crun refuses the hybrid cgroup v1/v2
layout: "cgroups in hybrid mode not supported") and with explicit rlimits (podman's defaults
are refused: "setrlimit RLIMIT_NOFILE: Operation not permitted"). Every caller that builds or
runs a container takes its argv from here; stdlib only, so it works before `uv sync`.
"""

from __future__ import annotations

import os
import shutil

# The global flags go before the subcommand, the limits after `build` / `run` / `create`.
RUNTIME_FLAGS: tuple[str, ...] = ("--runtime", "runc")
ULIMIT_FLAGS: tuple[str, ...] = (
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=4096:4096",
)


def podman_bin() -> str:
    """The podman executable: $DUKA_PODMAN, else `podman` from PATH."""
    return os.environ.get("DUKA_PODMAN") or shutil.which("podman") or "podman"


def podman(*args: str) -> list[str]:
    """`podman --runtime runc ARGS...` for commands that take no rlimits (images, inspect, rm)."""
    return [podman_bin(), *RUNTIME_FLAGS, *args]


def podman_build(*args: str) -> list[str]:
    """`podman --runtime runc build --format docker --ulimit ... ARGS...`: the docker format
    because OCI image configs drop HEALTHCHECK (podman warns and ignores it)."""
    return [podman_bin(), *RUNTIME_FLAGS, "build", "--format", "docker", *ULIMIT_FLAGS, *args]


def podman_run(*args: str) -> list[str]:
    """`podman --runtime runc run --ulimit ... ARGS...`."""
    return [podman_bin(), *RUNTIME_FLAGS, "run", *ULIMIT_FLAGS, *args]
