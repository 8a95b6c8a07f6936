"""One SMS attempt against a scripted gateway and an in-memory outbox: what is recorded and
what is raised (which decides Prefect's retry) for each outcome."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
import pytest
from prefect.states import Failed
from sqlalchemy.exc import OperationalError

from duka.notifications.billing import Billing, Cost
from duka.notifications.outbox.claim import ClaimedSms
from duka.notifications.sms.gateway import SendOutcome, SendResult
from duka.notifications.sms.gsm import SmsEncoding
from flows.send import (
    ClaimLostError,
    OutcomeUnknownError,
    PermanentSendError,
    SendContext,
    TransientSendError,
    attempt_send,
    describe,
    retry_only_transient,
)
from tests.support.sms_gateway import FakeSmsGateway, accepted, permanent, transient, unknown

pytestmark = pytest.mark.anyio

TOKEN = uuid.uuid4()
SMS = ClaimedSms(
    uuid.uuid4(), uuid.UUID("1a2b3c4d-0000-4000-8000-000000000000"), "+254700000001", "Hi"
)


@dataclass
class MemoryOutbox:
    claimed: bool = True
    broken: Exception | None = None
    attempts: int = 0
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    billed: list[Billing | None] = field(default_factory=list)

    async def begin_attempt(self, notification_id: uuid.UUID, token: uuid.UUID) -> int | None:
        if self.broken is not None:
            raise self.broken
        if not self.claimed or token != TOKEN:
            return None
        self.attempts += 1
        return self.attempts

    async def accepted(
        self, notification_id: uuid.UUID, message_id: str | None, billing: Billing | None = None
    ) -> bool:
        self.calls.append(("accepted", message_id))
        self.billed.append(billing)
        return True

    async def end_attempt(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        self.calls.append(("end_attempt", error))

    async def failed(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        self.calls.append(("failed", error))

    async def unknown(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        self.calls.append(("unknown", error))

    async def blocked(
        self, notification_id: uuid.UUID, token: uuid.UUID, error: str, recipient: str
    ) -> bool:
        self.calls.append(("blocked", recipient))
        return True


def context(outbox: MemoryOutbox, *results: SendResult, attempts: int = 3) -> SendContext:
    gateway = FakeSmsGateway()
    gateway.script(SMS.recipient, *results)
    return SendContext(outbox, gateway, TOKEN, attempts)


def test_the_reference_is_the_order_reference() -> None:
    assert SMS.reference == "ORD-1A2B3C4D"


async def test_accepted_records_the_message_id() -> None:
    outbox = MemoryOutbox()
    ctx = context(outbox, accepted("ATXid_1"))
    assert await attempt_send(ctx, SMS, 1) == "sent"
    assert outbox.calls == [("accepted", "ATXid_1")]
    [sent] = ctx.gateway.sent  # type: ignore[attr-defined]
    assert sent.idempotency_key == f"{SMS.id}:1"


async def test_transient_ends_the_attempt_and_asks_for_a_retry() -> None:
    outbox = MemoryOutbox()
    with pytest.raises(TransientSendError, match="GatewayError"):
        await attempt_send(context(outbox, transient("GatewayError")), SMS, 1)
    assert outbox.calls == [("end_attempt", "GatewayError: scripted transient failure")]


async def test_transient_on_the_last_attempt_fails_the_notification() -> None:
    outbox = MemoryOutbox()
    with pytest.raises(TransientSendError):
        await attempt_send(context(outbox, transient(), attempts=3), SMS, 3)
    [(call, error)] = outbox.calls
    assert call == "failed"
    assert error is not None
    assert error.endswith("(gave up after 3 attempts)")


async def test_permanent_fails_at_once_and_names_an_operator_when_needed() -> None:
    outbox = MemoryOutbox()
    ctx = context(outbox, permanent("InsufficientBalance", needs_operator=True))
    with pytest.raises(PermanentSendError, match="needs an operator: InsufficientBalance"):
        await attempt_send(ctx, SMS, 1)
    assert outbox.calls[0][0] == "failed"


async def test_an_acceptance_records_what_at_billed() -> None:
    outbox = MemoryOutbox()
    await attempt_send(context(outbox, accepted("ATXid_b", cost="KES 1.6000")), SMS, 1)
    assert outbox.billed == [Billing(SmsEncoding.GSM7, 1, Cost("KES", Decimal("1.6000")))]


async def test_a_blacklisted_recipient_fails_and_is_suppressed() -> None:
    outbox = MemoryOutbox()
    blocked = SendResult(
        SendOutcome.PERMANENT, "UserInBlacklist", "answered 406", recipient_blocked=True
    )
    with pytest.raises(PermanentSendError, match="UserInBlacklist"):
        await attempt_send(context(outbox, blocked), SMS, 1)
    assert outbox.calls == [("blocked", SMS.recipient)]


async def test_unknown_keeps_the_row_for_the_reconciler() -> None:
    outbox = MemoryOutbox()
    with pytest.raises(OutcomeUnknownError, match="awaiting evidence"):
        await attempt_send(context(outbox, unknown()), SMS, 1)
    [(call, error)] = outbox.calls
    assert call == "unknown"
    assert error is not None
    assert error.startswith("outcome unknown (timeout")


async def test_a_lost_claim_sends_nothing() -> None:
    outbox = MemoryOutbox(claimed=False)
    ctx = context(outbox)
    with pytest.raises(ClaimLostError):
        await attempt_send(ctx, SMS, 2)
    assert ctx.gateway.sent == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "outage",
    [
        OperationalError("UPDATE", {}, Exception("connection refused")),
        # A group of begins runs on the pool's psycopg connection: psycopg's own errors.
        psycopg.OperationalError("server closed the connection unexpectedly"),
    ],
)
async def test_a_database_outage_before_sending_is_transient(outage: Exception) -> None:
    outbox = MemoryOutbox(broken=outage)
    ctx = context(outbox)
    with pytest.raises(TransientSendError, match="database unavailable"):
        await attempt_send(ctx, SMS, 1)
    assert ctx.gateway.sent == []  # type: ignore[attr-defined]


def test_describe_puts_the_stable_reason_first() -> None:
    assert describe(SendResult(SendOutcome.PERMANENT, "InvalidPhoneNumber")) == (
        "InvalidPhoneNumber"
    )
    assert describe(SendResult(SendOutcome.TRANSIENT, "timeout", "slow")) == "timeout: slow"


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (TransientSendError("500"), True),
        (PermanentSendError("403"), False),
        (OutcomeUnknownError("timeout"), False),
        (ClaimLostError("moved"), False),
        (RuntimeError("bug"), False),
    ],
)
def test_prefect_retries_transient_failures_only(error: Exception, retried: bool) -> None:
    assert retry_only_transient(None, None, Failed(data=error)) is retried
