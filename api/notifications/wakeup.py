"""How writers of outbox rows wake the SMS sender: a PostgreSQL NOTIFY on one channel.

NOTIFY is transactional: the sender hears it only once the rows are committed, and it costs
no extra round trip when it rides in the statement that inserts them. PostgreSQL folds equal
payloads within one transaction into a single notification, so a bulk upload wakes the
sender once. A lost wake-up (the sender was down) is harmless: the sender also sweeps.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

CHANNEL = "duka_sms"
# A SQL expression, for statements that already touch the outbox.
NOTIFY_EXPR = f"pg_notify('{CHANNEL}', '')"
_NOTIFY = text(f"SELECT {NOTIFY_EXPR}")


async def wake_sender(conn: AsyncConnection) -> None:
    """Queue the wake-up in the caller's transaction (sent when it commits)."""
    await conn.execute(_NOTIFY)
