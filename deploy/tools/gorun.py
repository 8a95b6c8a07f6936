"""Running the Go toolchain for a build: pinned environment, heartbeat, logs, go.mod files.

Every command runs `nice`d, with GOTOOLCHAIN=local (a pinned module that needs a newer Go
fails loudly instead of fetching a toolchain) and CGO_ENABLED=0 (static binaries, no C
compiler). Long steps print a timestamped heartbeat; full output goes to a log file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

HEARTBEAT_S = 30


class BuildError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] tools: {message}", flush=True)


def go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GOTOOLCHAIN="local", CGO_ENABLED="0", GOFLAGS="-mod=mod -buildvcs=false")
    return env


def go_version() -> str:
    if shutil.which("go") is None:
        raise BuildError("the Go toolchain (go) is not on PATH; Go 1.26+ is needed")
    out = subprocess.run(
        ["go", "env", "GOVERSION"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return out.removeprefix("go").split("-")[0].split(" ")[0]


def run(
    step: str, argv: list[str], cwd: Path, logfile: Path, env: dict[str, str] | None = None
) -> str:
    """Run one Go command, printing a heartbeat while it works; stderr goes to `logfile`,
    stdout too and it is also returned."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_S):
            lines = logfile.read_text(errors="replace").count("\n") if logfile.exists() else 0
            log(f"{step}: still working ({time.monotonic() - started:.0f}s, {lines} log lines)")

    log(f"{step}: {' '.join(argv)}")
    ticker = threading.Thread(target=beat, daemon=True)
    ticker.start()
    try:
        with logfile.open("a") as out:
            out.write(f"\n$ {' '.join(argv)}\n")
            out.flush()
            proc = subprocess.run(  # noqa: S603
                ["nice", "-n", "10", *argv],  # noqa: S607
                cwd=cwd,
                env={**go_env(), **(env or {})},
                stdout=subprocess.PIPE,
                stderr=out,
                text=True,
                check=False,
            )
            out.write(proc.stdout)
        code = proc.returncode
    finally:
        done.set()
    if code != 0:
        tail = "\n".join(logfile.read_text(errors="replace").splitlines()[-30:])
        raise BuildError(f"{step} failed (exit {code}); last lines of {logfile}:\n{tail}")
    log(f"{step}: ok in {time.monotonic() - started:.0f}s")
    return proc.stdout


def linker_flags(extra: list[str] | None = None) -> str:
    return " ".join(["-s", "-w", *(extra or [])])


def write_module(workdir: Path, module: str, requires: dict[str, str], extra: str = "") -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    lines = [f"module {module}", "", f"go {go_version()}", ""]
    lines += [f"require {mod} {ver}" for mod, ver in requires.items()]
    (workdir / "go.mod").write_text("\n".join(lines) + "\n" + extra)
