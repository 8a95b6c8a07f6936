"""What the logs of a delivery report need from its notification: the order's reference
and the creating request's traceparent. Read by the statement that stores the report
(reports.py), not by a query of their own: one round trip and one pool checkout less on a
request that comes once per SMS (docs/benchmarks.md, "CPU per request over an order's
life")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from duka.notifications.template import order_reference


@dataclass(frozen=True, slots=True)
class MessageRefs:
    order_ref: str
    traceparent: str | None


def message_refs(order_id: uuid.UUID, traceparent: str | None) -> MessageRefs:
    """The references of the notification of order `order_id`."""
    return MessageRefs(order_reference(order_id.hex), traceparent)
