from __future__ import annotations

import uuid

from duka.core.errors import ConflictError, NotFoundError


class NotificationNotFoundError(NotFoundError):
    def __init__(self, order_id: uuid.UUID) -> None:
        super().__init__(f"No order with id {order_id}, or it has no notification.")


class NotificationNotFailedError(ConflictError):
    slug = "notification-not-failed"
    title = "Only a failed notification can be retried"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"The notification is {status}; retry applies to failed notifications only "
            "(a pending or sending one is already on its way, a sent one was accepted)."
        )


class RecipientSuppressedError(ConflictError):
    slug = "recipient-suppressed"
    title = "The recipient is on the SMS suppression list"

    def __init__(self) -> None:
        super().__init__(
            "The customer's number is on the SMS suppression list (opted out, or refused by "
            "the provider), so the SMS is not sent again; clear the number first "
            "(DELETE /api/v1/sms-suppressions/{phone}) if the customer opted back in."
        )
