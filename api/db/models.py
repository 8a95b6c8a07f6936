"""Imports every model so that Base.metadata is complete (Alembic and tests use it)."""

from api.customers.models import Customer
from api.db.base import Base
from api.idempotency.models import IdempotencyKey
from api.notifications.models import Notification
from api.orders.models import Order

__all__ = ["Base", "Customer", "IdempotencyKey", "Notification", "Order"]
