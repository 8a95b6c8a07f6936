"""`orderNotification(orderId)`: an order's SMS status, pushed as it changes.

Authenticated in `connection_init` (endpoint.py); here the caller needs orders:read and
must see the order through the same service read as `order(id)` (another customer's order
is NOT_FOUND). It answers the current state first, then the state after each change the
worker's one LISTEN connection hears for the order (duka/notifications/changes.py), never
polling. Each answer is re-read through that service, so a customer login still gets
FORBIDDEN for the staff-only fields, and a state is never sent twice in a row.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry

from api.graphql.fields import subscription
from api.graphql.types import Info, Notification
from duka.notifications.changes import NotificationChanges
from duka.notifications.schemas import NotificationPublic


def _key(n: NotificationPublic | None) -> tuple[object, ...]:
    if n is None:
        return ()
    return (n.status, n.attempts, n.provider_message_id, n.last_error, n.updated_at)


@strawberry.type
class Subscription:
    @subscription(
        "The order's SMS: its current state, then each change (status, attempts, "
        "message id) as it commits. Authenticate in connection_init "
        '({"Authorization": "Bearer …"}); the socket closes when the token expires. '
        "Needs orders:read."
    )
    async def order_notification(
        self, info: Info, order_id: uuid.UUID
    ) -> AsyncGenerator[Notification | None, None]:
        principal = info.context.require("orders:read")
        orders = info.context.services.orders
        await orders.get(principal, order_id)  # NOT_FOUND before anything is listened to
        connection = info.context.request
        assert connection is not None
        changes: NotificationChanges | None = connection.app.state.notification_changes
        if changes is None:
            raise RuntimeError("the app's lifespan has not started (no change hub)")
        async with changes.subscribe(order_id) as queue:
            last: tuple[object, ...] | None = None
            while True:
                # Listening already: a change committed after this read is heard.
                current = (await orders.get(principal, order_id)).notification
                if _key(current) != last:
                    last = _key(current)
                    yield Notification.of(current) if current is not None else None
                await queue.get()
                while not queue.empty():  # a burst: one read answers all of it
                    queue.get_nowait()
