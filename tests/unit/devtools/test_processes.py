from __future__ import annotations

import subprocess
from typing import Any, cast

import pytest

from devtools.processes import stop_process


class FakeProcess:
    """Records the signals sent and the waits asked for; `waits` says how each wait ends."""

    def __init__(self, *waits: Any) -> None:
        self.waits = list(waits)
        self.calls: list[str] = []

    def terminate(self) -> None:
        self.calls.append("terminate")

    def kill(self) -> None:
        self.calls.append("kill")

    def wait(self, timeout: float | None = None) -> int:
        self.calls.append(f"wait {timeout}")
        outcome = self.waits.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return int(outcome)


def stop(process: FakeProcess, grace_s: float, kill_wait_s: float | None = None) -> None:
    stop_process(cast("subprocess.Popen[bytes]", process), grace_s, kill_wait_s)


def test_a_process_that_ends_when_asked_is_not_killed() -> None:
    process = FakeProcess(0)
    stop(process, grace_s=15, kill_wait_s=5)
    assert process.calls == ["terminate", "wait 15"]


def test_a_process_that_ignores_sigterm_is_killed_and_awaited() -> None:
    process = FakeProcess(subprocess.TimeoutExpired("x", 15), -9)
    stop(process, grace_s=15, kill_wait_s=5)
    assert process.calls == ["terminate", "wait 15", "kill", "wait 5"]


def test_without_a_kill_wait_the_killed_process_is_left_to_the_caller() -> None:
    process = FakeProcess(subprocess.TimeoutExpired("x", 20))
    stop(process, grace_s=20)
    assert process.calls == ["terminate", "wait 20", "kill"]


def test_a_killed_process_that_does_not_go_raises() -> None:
    process = FakeProcess(subprocess.TimeoutExpired("x", 1), subprocess.TimeoutExpired("x", 2))
    with pytest.raises(subprocess.TimeoutExpired):
        stop(process, grace_s=1, kill_wait_s=2)
