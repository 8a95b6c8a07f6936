"""The port every SMS provider adapter implements, and the outcome of one send.

A send ends in exactly one of four outcomes, and the caller (the notification flow) acts on
the outcome alone, never on provider-specific codes:

| outcome   | what is known                               | what the caller does               |
|-----------|---------------------------------------------|------------------------------------|
| ACCEPTED  | the provider took the message (id, cost)    | mark sent, wait for the report     |
| TRANSIENT | it was not taken, and may be next time      | retry later with backoff           |
| PERMANENT | it was not taken, and never will be as is   | mark failed (alert if flagged;     |
|           |                                             | suppress the number if blocked)    |
| UNKNOWN   | the request may have reached the provider   | do NOT resend blindly: see below   |

UNKNOWN exists because the provider offers no idempotency key: after a read timeout, a 5xx
or a connection lost mid-response the message may already be on its way, and a resend may reach
the customer twice. Whether to resend (risking a duplicate) or give up (risking a missing SMS)
is the flow's decision, and it should be explicit there.

A provider may also fail with an HTTP 5xx after it recorded the message (or a proxy in front
of it may, after passing the request on): adapters report such answers as UNKNOWN, and
TRANSIENT only when the provider cannot have taken the message. The sandbox reproduces both
on purpose (`fault_after_record`, `bad_gateway_rate`, `gateway_timeout_rate`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class SendOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    reason: str
    """Short stable code: the provider's status name (e.g. "InvalidPhoneNumber") or one of the
    adapter's own ("timeout", "connect_error", "bad_credentials", "unexpected_response", ...)."""
    detail: str = ""
    """Human-readable explanation, safe to store as last_error (no secrets, no message text)."""
    provider_message_id: str | None = None
    cost: str | None = None
    """As the provider states it, e.g. "KES 0.8000"."""
    status_code: int | None = None
    """The provider's per-recipient status code, when it answered with one."""
    needs_operator: bool = False
    """A person must act (credentials, sender id, balance, risk hold) before sends can succeed;
    the flow should alert and may pause sending instead of failing message after message."""
    recipient_blocked: bool = False
    """The provider refuses this recipient for good (AT: 406 UserInBlacklist, the customer
    opted out): the number goes on the suppression list, and later orders are not sent."""

    @property
    def accepted(self) -> bool:
        return self.outcome is SendOutcome.ACCEPTED

    @property
    def retryable(self) -> bool:
        return self.outcome is SendOutcome.TRANSIENT


class SmsGateway(Protocol):
    """Sends one SMS to one recipient.

    Implementations never raise for provider or network trouble: every such case is a
    SendResult. They must not block the event loop.
    """

    async def send(
        self,
        recipient: str,
        message: str,
        *,
        sender_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendResult:
        """Send `message` to `recipient` (E.164, e.g. "+254712345678").

        `sender_id` None means the gateway's configured default. `idempotency_key` is passed to
        providers that can deduplicate; others (Africa's Talking) only log it.
        """
        ...
