"""The dispatch loop's steps against a recording outbox: claims fill the free room, claims
are renewed every heartbeat, and the decision to claim again, wait or stop."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any, cast

import pytest

from duka.notifications.outbox.claim import ClaimedSms
from flows.context import RunnerContext
from flows.dispatch_loop import DispatchLoop, DispatchSession, Next
from flows.settings import SmsFlowSettings

pytestmark = pytest.mark.anyio

TOKEN = uuid.uuid4()


class RecordingOutbox:
    def __init__(self, rows: int = 0) -> None:
        self.rows = rows
        self.claims: list[tuple[uuid.UUID, int, float]] = []
        self.heartbeats: list[tuple[list[uuid.UUID], float]] = []
        self.released: list[uuid.UUID] = []

    async def claim(self, token: uuid.UUID, limit: int, lease_s: float) -> list[Any]:
        self.claims.append((token, limit, lease_s))
        row = ClaimedSms(uuid.uuid4(), uuid.uuid4(), "+254700000001", "Hi")
        return [row] * min(self.rows, limit)

    async def heartbeat(self, tokens: list[uuid.UUID], lease_s: float) -> None:
        self.heartbeats.append((tokens, lease_s))

    async def release(self, token: uuid.UUID) -> int:
        self.released.append(token)
        return 2


def session_for(
    outbox: RecordingOutbox, idle_s: float = 10.0, max_s: float = 60.0, **sms: Any
) -> DispatchSession:
    settings = SmsFlowSettings(**({"batch_size": 5, "max_in_flight": 8, "lease_s": 3.0} | sms))
    ctx = SimpleNamespace(sms=settings, outbox=outbox, attempts=None, gateway=None)
    return DispatchSession(cast(RunnerContext, ctx), idle_s=idle_s, max_s=max_s)


def without_sending(loop: DispatchLoop) -> list[ClaimedSms]:
    """Record the rows the loop would send instead of starting their task runs."""
    started: list[ClaimedSms] = []
    loop._start = started.append  # type: ignore[method-assign,assignment]
    return started


def in_flight(count: int) -> set[Any]:
    """Stand-ins for `count` sends in progress."""
    return {asyncio.get_running_loop().create_future() for _ in range(count)}


async def test_a_claim_takes_a_batch_and_a_full_one_claims_again() -> None:
    outbox = RecordingOutbox(rows=100)
    loop = DispatchLoop(session_for(outbox), TOKEN)
    started = without_sending(loop)
    assert await loop.claim()
    assert outbox.claims == [(TOKEN, 5, 3.0)]
    assert len(started) == loop.tally["claimed"] == 5
    assert loop.decide(full_batch=True) is Next.CLAIM


async def test_a_claim_takes_no_more_than_the_room_left() -> None:
    outbox = RecordingOutbox(rows=1)
    loop = DispatchLoop(session_for(outbox), TOKEN)
    without_sending(loop)
    loop._running.update(in_flight(6))
    assert not await loop.claim(), "1 row for a room of 2: not a full batch"
    assert outbox.claims == [(TOKEN, 2, 3.0)]
    loop._running.update(in_flight(2))
    assert not await loop.claim()
    assert len(outbox.claims) == 1, "no room: no claim"


async def test_a_run_that_takes_no_work_claims_nothing() -> None:
    outbox = RecordingOutbox(rows=3)
    session = session_for(outbox)
    session.accepting = False
    loop = DispatchLoop(session, TOKEN)
    assert not await loop.claim()
    assert outbox.claims == []


async def test_claims_are_renewed_once_per_heartbeat() -> None:
    outbox = RecordingOutbox()
    loop = DispatchLoop(session_for(outbox), TOKEN)
    await loop.renew()
    assert outbox.heartbeats == [], "renewed just now (at the start)"
    loop._renewed -= loop.sms.heartbeat_s
    await loop.renew()
    await loop.renew()
    assert outbox.heartbeats == [([TOKEN], 3.0)]


async def test_an_idle_run_stops_taking_work_and_ends_when_nothing_is_in_flight() -> None:
    session = session_for(RecordingOutbox(), idle_s=0)
    loop = DispatchLoop(session, TOKEN)
    assert loop.decide(full_batch=False) is Next.STOP
    assert not session.accepting


async def test_a_run_waits_for_its_sends_before_ending() -> None:
    session = session_for(RecordingOutbox(), idle_s=0)
    session.stopping = True
    loop = DispatchLoop(session, TOKEN)
    loop._running.update(in_flight(1))
    assert loop.decide(full_batch=True) is Next.WAIT, "told to stop: no more claims"
    assert not session.accepting


async def test_a_run_waits_for_work_until_idle_or_out_of_time() -> None:
    session = session_for(RecordingOutbox(), idle_s=10, max_s=60)
    loop = DispatchLoop(session, TOKEN)
    assert loop.decide(full_batch=False) is Next.WAIT
    assert session.accepting
    loop._started -= 60
    assert loop.decide(full_batch=True) is Next.STOP, "max_s reached"


async def test_a_run_frees_what_it_holds_when_it_ends() -> None:
    outbox = RecordingOutbox()
    tally = await DispatchLoop(session_for(outbox, idle_s=0), TOKEN).run()
    assert outbox.released == [TOKEN]
    assert tally == {"claimed": 0, "released": 2}
