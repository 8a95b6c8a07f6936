"""Imports every model so that Base.metadata is complete (Alembic and tests use it)."""

from duka.customers.models import Customer
from duka.db.base import Base
from duka.idempotency.models import IdempotencyKey
from duka.limits.models import RateLimitBucket
from duka.notifications.models import Notification
from duka.notifications.suppressions.models import SmsSuppression
from duka.orders.models import Order
from duka.webhooks.models import DeliveryReport

__all__ = [
    "Base",
    "Customer",
    "DeliveryReport",
    "IdempotencyKey",
    "Notification",
    "Order",
    "RateLimitBucket",
    "SmsSuppression",
]
