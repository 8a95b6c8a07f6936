"""SenderWakeups: signals become few NOTIFYs, sent off the caller's path, never raising."""

from __future__ import annotations

import asyncio
import logging

import pytest

from duka.notifications.wakeup import SenderWakeups

pytestmark = pytest.mark.anyio


class Notifier:
    def __init__(self, delay_s: float = 0.0, fail: bool = False) -> None:
        self.calls = 0
        self.delay_s = delay_s
        self.fail = fail

    async def __call__(self) -> None:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise OSError("connection refused")


async def test_a_lone_signal_notifies_at_once() -> None:
    notify = Notifier()
    wakeups = SenderWakeups(notify, min_gap_s=0.05)
    wakeups.signal()
    await asyncio.sleep(0)  # the NOTIFY starts without waiting for the gap
    assert notify.calls == 1
    await wakeups.aclose()
    assert notify.calls == 1


async def test_a_burst_of_signals_shares_one_more_notify() -> None:
    notify = Notifier(delay_s=0.01)
    wakeups = SenderWakeups(notify, min_gap_s=0.02)
    for _ in range(100):
        wakeups.signal()
        await asyncio.sleep(0)
    await wakeups.aclose()
    # The first signal's NOTIFY, then one for every signal that came while it was out.
    assert notify.calls == 2


async def test_signals_after_the_gap_notify_again() -> None:
    notify = Notifier()
    wakeups = SenderWakeups(notify, min_gap_s=0.001)
    wakeups.signal()
    await wakeups.aclose()
    wakeups.signal()
    await wakeups.aclose()
    assert notify.calls == 2


async def test_a_failed_notify_is_logged_and_later_signals_still_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    notify = Notifier(fail=True)
    wakeups = SenderWakeups(notify, min_gap_s=0.001)
    with caplog.at_level(logging.WARNING, logger="duka.notifications.wakeup"):
        wakeups.signal()
        await wakeups.aclose()
    assert "could not wake the SMS sender" in caplog.text
    notify.fail = False
    wakeups.signal()
    await wakeups.aclose()
    assert notify.calls == 2


async def test_closing_without_signals_is_a_no_op() -> None:
    notify = Notifier()
    await SenderWakeups(notify).aclose()
    assert notify.calls == 0
