from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from duka.notifications.models import NotificationStatus


class NotificationPublic(BaseModel):
    status: NotificationStatus = Field(
        description="pending → sending → sent → delivered, or failed (see last_error)."
    )
    attempts: int
    last_error: str | None
    provider_message_id: str | None
    updated_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None


class NotificationCustomerView(BaseModel):
    """A notification as a customer's own login sees it: whether and when its SMS went,
    not the provider's error text or message id (staff act on those, not customers)."""

    status: NotificationStatus = Field(
        description="pending → sending → sent → delivered, or failed."
    )
    updated_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, notification: NotificationPublic) -> NotificationCustomerView:
        return cls.model_construct(
            status=notification.status,
            updated_at=notification.updated_at,
            sent_at=notification.sent_at,
            delivered_at=notification.delivered_at,
        )
