"""Accepted messages, newest kept: a bounded, thread-safe record of what "reached phones".

Memory stays bounded: past `limit` messages (100 000 by default, a few hundred bytes each)
the oldest are dropped and counted in `evicted`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from devtools.at_sandbox.statuses import REPORT_FINAL


@dataclass(slots=True)
class InboxMessage:
    message_id: str
    to: str
    sender: str | None
    message: str
    status: str
    status_code: int
    cost: str
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    delivery_status: str | None = None
    reports_sent: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "messageId": self.message_id,
            "to": self.to,
            "from": self.sender,
            "message": self.message,
            "status": self.status,
            "statusCode": self.status_code,
            "cost": self.cost,
            "receivedAt": self.received_at.isoformat(),
            "deliveryStatus": self.delivery_status,
            "reportsSent": self.reports_sent,
        }


class Inbox:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._messages: OrderedDict[str, InboxMessage] = OrderedDict()
        self._lock = threading.Lock()
        self._evicted = 0
        self._accepted = 0

    def add(self, message: InboxMessage) -> None:
        with self._lock:
            self._messages[message.message_id] = message
            self._accepted += 1
            while len(self._messages) > self._limit:
                self._messages.popitem(last=False)
                self._evicted += 1

    def mark_reported(self, message_id: str, status: str) -> None:
        with self._lock:
            message = self._messages.get(message_id)
            if message is not None:
                # An intermediate report after the final one (sent out of order) leaves
                # the final status showing.
                if status in REPORT_FINAL or message.delivery_status not in REPORT_FINAL:
                    message.delivery_status = status
                message.reports_sent += 1

    def find(self, number: str | None = None, limit: int | None = None) -> list[InboxMessage]:
        """Newest first, optionally for one number. Copies: callers cannot mutate the inbox."""
        with self._lock:
            found: list[InboxMessage] = []
            for message in reversed(self._messages.values()):
                if number is None or message.to == number:
                    found.append(replace(message))
                    if limit is not None and len(found) >= limit:
                        break
            return found

    def count(self, number: str | None = None) -> int:
        with self._lock:
            if number is None:
                return len(self._messages)
            return sum(1 for m in self._messages.values() if m.to == number)

    def get(self, message_id: str) -> InboxMessage | None:
        with self._lock:
            message = self._messages.get(message_id)
            return None if message is None else replace(message)

    @property
    def evicted(self) -> int:
        return self._evicted

    @property
    def accepted_total(self) -> int:
        """Accepted since start or the last clear, including evicted messages."""
        return self._accepted

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._evicted = 0
            self._accepted = 0
