"""What the logs of a delivery report need from its notification: the order's reference
and the creating request's traceparent, by the provider's message id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.template import order_reference

_BY_MESSAGE_ID = text(
    "SELECT order_id, traceparent FROM notifications WHERE provider_message_id = :mid"
)


@dataclass(frozen=True, slots=True)
class MessageRefs:
    order_ref: str
    traceparent: str | None


async def message_refs(db: Database, message_id: str) -> MessageRefs | None:
    """The notification's references, or None when no notification has the id (yet)."""
    async with db.autocommit() as conn:
        row = (await conn.execute(_BY_MESSAGE_ID, {"mid": message_id})).first()
    if row is None:
        return None
    return MessageRefs(order_reference(row.order_id.hex), row.traceparent)
