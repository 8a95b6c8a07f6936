"""How long `make dev` takes to be ready: from a fresh clone, then a second start.

    uv run --frozen python -m bench.dev_start [--keep]

Clones this checkout's HEAD into a new `mktemp -d` folder (no .cache/ or .state/; the uv
and Maven caches stay warm, as on a developer's machine after the first project), runs
`make dev` until it prints "Duka is running", stops it with Ctrl-C (SIGINT to its process
group), then starts it once more. Ports are moved off the defaults (BENCH_DEV_PORT_BASE,
default 8400) so a running `make dev` is not disturbed; Prefect and the sandbox keep theirs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READY = "Duka is running"
TIMEOUT_S = 900


def ports(base: int) -> dict[str, str]:
    return {
        "DUKA_PORT": str(base + 1),
        "DUKA_OIDC_DEV_PORT": str(base + 81),
        "DUKA_EMBEDDED_PG_PORT": str(50000 + base + 21),
    }


def run_until_ready(clone: Path, log: Path) -> float:
    """Seconds from `make dev` to its ready line; stops it with SIGINT (Ctrl-C) after."""
    env = {**os.environ, **ports(int(os.environ.get("BENCH_DEV_PORT_BASE", "8400")))}
    env.pop("VIRTUAL_ENV", None)  # the clone's own environment, not this one's
    started = time.monotonic()
    with log.open("w") as out:
        make = subprocess.Popen(
            ["make", "dev"],
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        while READY not in log.read_text(errors="replace"):
            if make.poll() is not None or time.monotonic() - started > TIMEOUT_S:
                raise SystemExit(f"make dev did not get ready; see {log}")
            time.sleep(0.25)
        return time.monotonic() - started
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)
            make.wait(timeout=120)


def steps(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if line.startswith("[duka]") and "still waiting" not in line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone and its logs")
    keep = parser.parse_args().keep
    folder = Path(tempfile.mkdtemp(prefix="duka-dev-start-"))
    clone = folder / "duka"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    try:
        for label in ("first", "second"):
            log = folder / f"{label}.log"
            load = " ".join(f"{value:.1f}" for value in os.getloadavg())
            seconds = run_until_ready(clone, log)
            print(f"{label} start: ready in {seconds:.0f} s (load average before: {load})")
            for line in steps(log):
                print(f"    {line}")
    finally:
        if keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            remove(folder)
    return 0


def remove(folder: Path) -> None:
    """The clone, and the PostgreSQL data root keeps outside it when the clone is private."""
    data = folder / "duka" / ".state" / "postgres" / "data"
    if data.is_symlink():
        shutil.rmtree(data.resolve().parent, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
