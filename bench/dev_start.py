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
        # make dev serves metrics (docs/operations.md) on ports of their own.
        "DUKA_METRICS_PORT": str(base + 64),
        "DUKA_SMS_METRICS_PORT": str(base + 65),
    }


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) of `root` and every live descendant, with what their exited
    children used: what the stack cost until now, whatever the machine's load. (A daemon
    that left the tree, the embedded PostgreSQL, is not counted.)"""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15)
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = sum(int(value) for value in fields[11:15]) / tick
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier.extend(children)
    return sum(used.get(pid, 0.0) for pid in tree)


def run_until_ready(clone: Path, log: Path) -> tuple[float, float]:
    """Seconds from `make dev` to its ready line, and the CPU seconds the stack used until
    then; stops it with SIGINT (Ctrl-C) after."""
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
        return time.monotonic() - started, cpu_seconds(make.pid)
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
            seconds, cpu = run_until_ready(clone, log)
            print(
                f"{label} start: ready in {seconds:.0f} s, {cpu:.0f} CPU seconds used "
                f"(load average before: {load}; {os.cpu_count()} cores)"
            )
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
