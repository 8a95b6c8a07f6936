from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from duka.core.types import Currency, CustomerCode, ItemName
from duka.notifications.schemas import NotificationCustomerView, NotificationPublic

MAX_AMOUNT = Decimal("9999999999.99")
_CENTS = Decimal("0.01")
# Times far enough out overflow Python's datetime when shown in the SMS's time zone.
EARLIEST_ORDERED_AT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_ORDERED_AT = datetime(3000, 1, 1, tzinfo=UTC)


def _to_cents(value: Decimal) -> Decimal:
    # "1250", "1250.0" and "1.25E+3" are one amount: answer (and fingerprint) it the way the
    # database stores it, so a created order and the same order read back look the same.
    return value.quantize(_CENTS)


def _utc_in_range(value: datetime) -> datetime:
    if not EARLIEST_ORDERED_AT <= value < LATEST_ORDERED_AT:
        raise ValueError("must be between 1900-01-01 and 2999-12-31")
    return value.astimezone(UTC)


Amount = Annotated[
    Decimal,
    Field(gt=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2, allow_inf_nan=False),
    AfterValidator(_to_cents),
]
OrderedAt = Annotated[AwareDatetime, AfterValidator(_utc_in_range)]


# The order the OpenAPI examples show: single creation's, and the first row of an upload's.
ORDER_EXAMPLE: JsonDict = {
    "customer_code": "CUST-0001",
    "item": "Maize flour 2kg",
    "quantity": 2,
    "amount": "1250.00",
    "currency": "KES",
    "ordered_at": "2026-11-26T14:05:00+03:00",
}


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ORDER_EXAMPLE]})

    customer_id: uuid.UUID | None = Field(default=None, description="Give this or customer_code.")
    customer_code: CustomerCode | None = Field(default=None, description="Or the customer's code.")
    item: ItemName = Field(description="What was ordered, 1-200 characters.")
    quantity: int = Field(default=1, ge=1, le=1_000_000)
    amount: Amount = Field(
        description="Total, > 0, at most 2 decimals (a JSON string keeps it exact)."
    )
    currency: Currency | None = Field(default=None, description="ISO 4217; default KES.")
    ordered_at: OrderedAt | None = Field(
        default=None, description="With a UTC offset; defaults to now. Answered in UTC."
    )


class OrderPublic(BaseModel):
    id: uuid.UUID
    reference: str = Field(description="Short human reference, as shown in the SMS.")
    customer_id: uuid.UUID
    customer_code: str
    item: str
    quantity: int
    amount: Decimal
    currency: str
    ordered_at: datetime
    created_at: datetime
    created_by: str
    notification: NotificationPublic | None


class OrderPage(BaseModel):
    items: list[OrderPublic]
    next_cursor: str | None


class OrderCustomerView(BaseModel):
    """An order as a customer's own login (token with `customer_code`) sees it: everything
    about its order, nothing about who at the business entered it or how the provider
    answered."""

    id: uuid.UUID
    reference: str = Field(description="Short human reference, as shown in the SMS.")
    customer_id: uuid.UUID
    customer_code: str
    item: str
    quantity: int
    amount: Decimal
    currency: str
    ordered_at: datetime
    created_at: datetime
    notification: NotificationCustomerView | None


class OrderCustomerPage(BaseModel):
    items: list[OrderCustomerView]
    next_cursor: str | None


_CUSTOMER_FIELDS = frozenset(OrderCustomerView.model_fields) - {"notification"}


def order_view(order: OrderPublic, customer_scoped: bool) -> OrderPublic | OrderCustomerView:
    """The order as the caller may see it: staff the whole, a customer its own view."""
    return _customer_view(order) if customer_scoped else order


def _customer_view(order: OrderPublic) -> OrderCustomerView:
    fields = {name: getattr(order, name) for name in _CUSTOMER_FIELDS}
    notification = order.notification
    return OrderCustomerView.model_construct(
        **fields,
        notification=NotificationCustomerView.of(notification) if notification else None,
    )


def page_view(page: OrderPage, customer_scoped: bool) -> OrderPage | OrderCustomerPage:
    if not customer_scoped:
        return page
    return OrderCustomerPage.model_construct(
        items=[_customer_view(o) for o in page.items], next_cursor=page.next_cursor
    )


VIEW_DESCRIPTION = (
    "Staff logins get `OrderPublic`; a customer's own login (token with `customer_code`) "
    "gets `OrderCustomerView`, without `created_by` and the SMS provider's details."
)
