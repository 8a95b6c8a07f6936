"""CPU per SMS all-in: the runner (or the anchor's process), the Prefect server and every
PostgreSQL process of the cluster, read from /proc between two snapshots.

PostgreSQL's processes are grouped by what their process title says they serve: a backend
names its database ("postgres: user db 127.0.0.1(5432) idle"), so the outbox's database and
Prefect's own are told apart; the checkpointer, the WAL writer and the other background
processes are one group. A backend that exits within the window shows in the postmaster's
reaped-children times ("exited"), so the sum is complete even where the split is not.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from bench.machine import process_tree_cpu_s

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _own_s(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / _TICK if fields else 0.0


def _group(pid: int) -> str:
    """The database a backend serves, or "background" for the cluster's own processes."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "exited"
    words = title.removeprefix("postgres:").split()
    # A client backend: user, database, then host(port) or [local].
    if len(words) >= 3 and ("(" in words[2] or words[2] == "[local]"):
        return words[1]
    if words[:2] == ["autovacuum", "worker"] and len(words) > 2:
        return words[2]
    return "background"


def postgres_cpu_s(postmaster: int) -> dict[str, float]:
    """CPU seconds so far of the cluster's processes, by database served."""
    fields = _stat(postmaster)
    if not fields:
        return {}
    groups = {
        "background": _own_s(fields),
        # utime and stime of the children it has reaped (fields 16 and 17).
        "exited": (int(fields[13]) + int(fields[14])) / _TICK,
    }
    try:
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    except OSError:
        children = []
    for child in map(int, children):
        name = _group(child)
        groups[name] = groups.get(name, 0.0) + _own_s(_stat(child))
    return groups


def postmaster_pid(data_dir: Path) -> int:
    """The first line of postmaster.pid in the (possibly linked) data directory."""
    return int((data_dir.resolve() / "postmaster.pid").read_text().split()[0])


@dataclass(frozen=True)
class Snapshot:
    at: float
    client: float
    server: float
    postgres: dict[str, float]


@dataclass(frozen=True)
class AllInMeter:
    """Snapshots of one client's processes (the runner's, or the anchor's), the Prefect
    server's and the cluster's."""

    server_pid: int
    postmaster: int

    def snapshot(self, client_pids: list[int]) -> Snapshot:
        return Snapshot(
            at=time.monotonic(),
            client=sum(process_tree_cpu_s(pid) for pid in client_pids),
            server=process_tree_cpu_s(self.server_pid),
            postgres=postgres_cpu_s(self.postmaster),
        )


def per_unit(before: Snapshot, after: Snapshot, units: int) -> dict[str, object]:
    """Milliseconds of CPU per unit (SMS, or empty task run) between two snapshots."""
    if units <= 0:
        return {}

    def ms(seconds: float) -> float:
        return round(seconds / units * 1000, 2)

    names = sorted(set(before.postgres) | set(after.postgres))
    by_db = {n: ms(after.postgres.get(n, 0.0) - before.postgres.get(n, 0.0)) for n in names}
    client = after.client - before.client
    server = after.server - before.server
    postgres = sum(after.postgres.values()) - sum(before.postgres.values())
    return {
        "units": units,
        "window_s": round(after.at - before.at, 1),
        "client_ms": ms(client),
        "prefect_server_ms": ms(server),
        "postgres_ms": ms(postgres),
        "postgres_by_db_ms": by_db,
        "all_in_ms": ms(client + server + postgres),
    }
