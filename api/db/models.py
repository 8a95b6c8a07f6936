"""Imports every model so that Base.metadata is complete (Alembic and tests use it)."""

from api.customers.models import Customer
from api.db.base import Base
from api.idempotency.models import IdempotencyKey
from api.limits.models import RateLimitBucket
from api.notifications.models import Notification
from api.orders.models import Order
from api.webhooks.models import DeliveryReport

__all__ = [
    "Base",
    "Customer",
    "DeliveryReport",
    "IdempotencyKey",
    "Notification",
    "Order",
    "RateLimitBucket",
]
