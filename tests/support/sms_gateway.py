"""An in-memory SmsGateway for unit tests: scripted results, every call recorded.

gateway = FakeSmsGateway()
gateway.script("+254700000001", transient("GatewayError"), accepted())
result = await gateway.send("+254700000001", "hi")   # TRANSIENT, then ACCEPTED next time
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from itertools import count

from duka.notifications.sms.gateway import SendOutcome, SendResult


@dataclass(frozen=True)
class SentSms:
    recipient: str
    message: str
    sender_id: str | None
    idempotency_key: str | None


_ids = count(1)


def accepted(message_id: str | None = None, cost: str = "KES 0.8000") -> SendResult:
    return SendResult(
        SendOutcome.ACCEPTED,
        "Success",
        provider_message_id=message_id or f"ATXid_fake{next(_ids)}",
        cost=cost,
        status_code=101,
    )


def transient(reason: str = "provider_error") -> SendResult:
    return SendResult(SendOutcome.TRANSIENT, reason, "scripted transient failure")


def permanent(reason: str = "InvalidPhoneNumber", *, needs_operator: bool = False) -> SendResult:
    return SendResult(
        SendOutcome.PERMANENT, reason, "scripted permanent failure", needs_operator=needs_operator
    )


def unknown(reason: str = "timeout") -> SendResult:
    return SendResult(SendOutcome.UNKNOWN, reason, "scripted: the message may have been sent")


class FakeSmsGateway:
    """Answers each recipient's scripted results in order, then `default` (a fresh ACCEPTED
    with a new message id when None)."""

    def __init__(self, default: SendResult | None = None) -> None:
        self.default = default
        self.sent: list[SentSms] = []
        self._scripts: defaultdict[str, deque[SendResult]] = defaultdict(deque)

    def script(self, recipient: str, *results: SendResult) -> None:
        self._scripts[recipient].extend(results)

    def sent_to(self, recipient: str) -> list[SentSms]:
        return [s for s in self.sent if s.recipient == recipient]

    async def send(
        self,
        recipient: str,
        message: str,
        *,
        sender_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendResult:
        self.sent.append(SentSms(recipient, message, sender_id, idempotency_key))
        queue = self._scripts.get(recipient)
        if queue:
            return queue.popleft()
        return self.default if self.default is not None else accepted()
