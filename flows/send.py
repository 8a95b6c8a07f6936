"""One order SMS: the attempt logic, and the Prefect task that runs it with retries.

The task run is named after the order ("sms-ORD-1A2B3C4D", the reference the customer
reads in the SMS and the API answers) and tagged "sms", so operators find any order's send
in the Prefect UI by searching for its reference. There is deliberately no per-order tag:
Prefect 3 takes a concurrency-slot lease for every distinct tag set (a server round trip
and a thread per task run), which cut the sending rate from about 70 to 5 task runs per
second (docs/benchmarks.md, "Order SMS"). Prefect retries it
with exponential backoff and jitter, but only after a TRANSIENT failure
(`retry_only_transient`); every other failure ends the task run at once, with its reason.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import psycopg
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from prefect.runtime import task_run
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from duka.notifications.billing import Billing, billing_of
from duka.notifications.outbox.claim import ClaimedSms
from duka.notifications.sms.gateway import SendOutcome, SendResult, SmsGateway
from flows import metrics

log = logging.getLogger(__name__)

Sent = Literal["sent"]


class SendFailedError(Exception):
    """Base of the task's failures; the message is what operators read in the UI."""


class TransientSendError(SendFailedError):
    """Not sent, and may succeed later: the only failure Prefect retries."""


class PermanentSendError(SendFailedError):
    """Not sent, and never will be as it is: not retried."""


class OutcomeUnknownError(SendFailedError):
    """The request may have reached the provider: never resent blindly
    (duka/notifications/reconcile.py)."""


class ClaimLostError(SendFailedError):
    """The row is no longer this run's (a reconciler or an operator moved it): not sent."""


class AttemptStore(Protocol):
    """What one send needs from the outbox (flows/attempts.py implements it, over
    duka/notifications/outbox/store.py)."""

    async def begin_attempt(self, notification_id: uuid.UUID, token: uuid.UUID) -> int | None: ...

    async def accepted(
        self, notification_id: uuid.UUID, message_id: str | None, billing: Billing | None = None
    ) -> bool: ...

    async def end_attempt(
        self, notification_id: uuid.UUID, token: uuid.UUID, error: str
    ) -> None: ...

    async def failed(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None: ...

    async def unknown(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None: ...

    async def blocked(
        self, notification_id: uuid.UUID, token: uuid.UUID, error: str, recipient: str
    ) -> bool: ...


@dataclass(frozen=True, slots=True)
class SendContext:
    outbox: AttemptStore
    gateway: SmsGateway
    token: uuid.UUID
    """The dispatch run's claim on the rows it sends."""
    max_attempts: int


def describe(result: SendResult) -> str:
    """last_error text: short, stable reason first, no message text, no secrets."""
    text = result.reason + (f": {result.detail}" if result.detail else "")
    return ("needs an operator: " + text) if result.needs_operator else text


async def attempt_send(ctx: SendContext, sms: ClaimedSms, attempt: int) -> Sent:
    """Attempt `attempt` (1-based) of one SMS. Returns on acceptance, raises otherwise."""
    final = attempt >= ctx.max_attempts
    try:
        started = await ctx.outbox.begin_attempt(sms.id, ctx.token)
    except (DBAPIError, PoolTimeoutError, psycopg.Error, OSError) as exc:
        # Nothing was sent: safe to try again after the backoff. (A group of begins runs on
        # the pool's psycopg connection itself: its errors are psycopg's.)
        raise TransientSendError(f"database unavailable: {type(exc).__name__}") from exc
    if started is None:
        log.warning("sms not sent: no longer claimed by this run")
        raise ClaimLostError("the notification is no longer claimed by this run; not sent")
    metrics.attempt_begun()
    result = await ctx.gateway.send(sms.recipient, sms.body, idempotency_key=f"{sms.id}:{started}")
    # Segments and cost read once: the same figures for the metrics and the stored row.
    billing = billing_of(sms.body, result.cost) if result.accepted else None
    metrics.send_ended(result, billing)
    error = describe(result)
    if billing is not None:
        await ctx.outbox.accepted(sms.id, result.provider_message_id, billing)
        # The one INFO line per SMS the runner writes (each costs the sender a little of
        # its rate): the message id links it to the delivery report's line.
        log.info(
            "sms accepted: attempt %d, message id %s",
            attempt,
            result.provider_message_id,
            extra={"message_id": result.provider_message_id},
        )
        return "sent"
    if result.outcome is SendOutcome.TRANSIENT:
        if final:
            error = f"{error} (gave up after {attempt} attempts)"
            await ctx.outbox.failed(sms.id, ctx.token, error)
            log.warning("sms failed: %s", error)
        else:
            await ctx.outbox.end_attempt(sms.id, ctx.token, error)
            log.info("sms attempt %d failed, to be retried: %s", attempt, error)
        raise TransientSendError(error)
    if result.outcome is SendOutcome.PERMANENT:
        if result.recipient_blocked:
            # The customer opted out (AT: UserInBlacklist): later orders are not sent.
            await ctx.outbox.blocked(sms.id, ctx.token, error, sms.recipient)
        else:
            await ctx.outbox.failed(sms.id, ctx.token, error)
        log.warning("sms failed: %s", error)
        raise PermanentSendError(error)
    error = f"outcome unknown ({error}); awaiting evidence before any resend"
    await ctx.outbox.unknown(sms.id, ctx.token, error)
    log.warning("sms %s", error)
    raise OutcomeUnknownError(error)


def retry_only_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry_condition_fn: the failed state's data is the raised exception."""
    return isinstance(state.data, TransientSendError)


@task(
    name="send-order-sms",
    task_run_name="sms-{reference}",
    tags=["sms"],
    cache_policy=NO_CACHE,
    persist_result=False,
    retry_condition_fn=retry_only_transient,
)
async def send_order_sms(reference: str, sms: ClaimedSms, ctx: SendContext) -> Sent:
    try:
        return await attempt_send(ctx, sms, task_run.get_run_count())
    except TransientSendError as exc:
        # Logged here so that retries show in the UI even with INFO lines turned off.
        get_run_logger().warning("%s: transient failure: %s", reference, exc)
        raise
