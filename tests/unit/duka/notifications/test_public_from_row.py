"""NotificationPublic.from_row: the one way a notification's public form is built."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from duka.notifications.models import NotificationStatus
from duka.notifications.schemas import NotificationPublic
from duka.notifications.sms.gsm import SmsEncoding

NOW = datetime(2026, 12, 5, 3, 40, tzinfo=UTC)
ROW = {
    "status": "sent",
    "attempts": 2,
    "last_error": None,
    "provider_message_id": "ATXid_1",
    "updated_at": NOW,
    "sent_at": NOW,
    "delivered_at": None,
    "encoding": "GSM-7",
    "segments": 1,
    "cost_amount": Decimal("0.8000"),
    "cost_currency": "KES",
    "item": "a joined query's other column",
}


def test_it_takes_the_notification_columns_and_ignores_the_rest() -> None:
    notification = NotificationPublic.from_row(ROW)
    assert notification.status is NotificationStatus.SENT
    assert notification.model_dump() == {k: v for k, v in ROW.items() if k != "item"} | {
        "status": NotificationStatus.SENT,
        "encoding": SmsEncoding.GSM7,
    }


def test_without_validation_it_keeps_the_values_as_given() -> None:
    row = ROW | {"status": NotificationStatus.PENDING}
    notification = NotificationPublic.from_row(row, validate=False)
    assert notification.status is NotificationStatus.PENDING
    assert notification.provider_message_id == "ATXid_1"
