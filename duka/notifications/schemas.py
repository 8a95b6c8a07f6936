from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from duka.notifications.models import NotificationStatus
from duka.notifications.sms.gsm import SmsEncoding

_STATUS = (
    "pending → sending → sent → delivered, or failed (see last_error); suppressed: the "
    "number is on the suppression list (opted out), so the SMS was stored and never sent."
)


class NotificationPublic(BaseModel):
    status: NotificationStatus = Field(description=_STATUS)
    attempts: int
    last_error: str | None
    provider_message_id: str | None
    updated_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    encoding: SmsEncoding | None = Field(
        default=None,
        description="GSM-7 or UCS-2 (any character outside GSM-7): recorded when AT accepts it.",
    )
    segments: int | None = Field(
        default=None,
        description="SMS segments the text takes (AT bills each); recorded when AT accepts it.",
    )
    cost_amount: Decimal | None = Field(
        default=None,
        description='The cost AT reported for the send ("KES 0.8000" → "0.8000"); null if none.',
    )
    cost_currency: str | None = Field(
        default=None, description="The cost's ISO 4217 currency, e.g. KES."
    )

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], *, validate: bool = True) -> NotificationPublic:
        """From a notifications row, or any mapping with its columns' names (a joined
        query's columns; extra keys are ignored). `validate=False` skips validation, for
        values that are the database's own and already typed (the order insert's answer)."""
        values = {name: row[name] for name in _ROW_FIELDS}
        return cls(**values) if validate else cls.model_construct(**values)


_ROW_FIELDS = tuple(NotificationPublic.model_fields)


class NotificationCustomerView(BaseModel):
    """A notification as a customer's own login sees it: whether and when its SMS went,
    not the provider's error text or message id (staff act on those, not customers)."""

    status: NotificationStatus = Field(
        description="pending → sending → sent → delivered, or failed; suppressed: not sent, "
        "the number opted out."
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
