"""CPU per SMS of the runner and of the Prefect server, read from /proc while a backlog
drains; and waiting for the Prefect server to finish the work it does behind its clients.

On a shared machine the rates move with other load, the CPU a process spends per SMS much
less: the runner's CPU per SMS against the anchor's CPU per empty task run is the ratio's
second reading. The Prefect server records task-run events after the clients sent them
(its services work through an in-memory queue), and catching up with a burst of task runs
takes it tens of seconds at one core on this machine: a phase that starts while it catches
up shares the cores with it, so the backlog phases start once it is idle.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psycopg

from bench.machine import process_tree_cpu_s


def wait_idle(pid: int, timeout_s: float = 180.0, busy_s: float = 0.05) -> float:
    """Wait until process `pid` uses less than `busy_s` of CPU in a second; the seconds
    waited."""
    started = time.monotonic()
    last = process_tree_cpu_s(pid)
    while time.monotonic() - started < timeout_s:
        time.sleep(1)
        now = process_tree_cpu_s(pid)
        if now - last < busy_s:
            break
        last = now
    return round(time.monotonic() - started, 1)


@dataclass
class DrainCpu:
    """Samples (time, sent, runner CPU, server CPU) in a thread while a backlog drains."""

    database_url: str
    total: int
    server_pid: int
    runner_pids: list[int] = field(default_factory=list)
    samples: list[tuple[float, int, float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self, runner_pids: list[int]) -> None:
        self.runner_pids = runner_pids
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        return self.per_sms()

    def _sample(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stop.is_set():
                row = conn.execute("SELECT count(*) FROM notifications WHERE status = 'sent'")
                sent = int(row.fetchone()[0])  # type: ignore[index]
                runner = sum(process_tree_cpu_s(pid) for pid in self.runner_pids)
                self.samples.append(
                    (time.monotonic(), sent, runner, process_tree_cpu_s(self.server_pid))
                )
                if sent >= self.total:
                    return
                time.sleep(0.2)

    def per_sms(self) -> dict[str, float]:
        """Over the middle of the drain (10 % to 90 % sent): start-up and tail left out."""
        low = next((s for s in self.samples if s[1] >= self.total * 0.1), None)
        high = next((s for s in self.samples if s[1] >= self.total * 0.9), None)
        if low is None or high is None or high[1] == low[1]:
            return {}
        sent = high[1] - low[1]
        return {
            "runner_cpu_ms_per_sms": round((high[2] - low[2]) / sent * 1000, 2),
            "server_cpu_ms_per_sms": round((high[3] - low[3]) / sent * 1000, 2),
            "per_s_10_90": round(sent / (high[0] - low[0]), 1),
        }
