"""The GraphQL object types: customers, orders and their SMS notification, read-only.

Each wraps the `XPublic` schema the services answer. Fields REST leaves out of a
customer's own view (`OrderCustomerView`, `NotificationCustomerView`) are staff-only here:
a customer login asking for them gets null and a FORBIDDEN error for each. Nested objects
come through the request's DataLoaders, filtered by the same ownership rule as every read.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

import strawberry

from api.graphql.context import GraphQLContext
from api.graphql.fields import field
from api.graphql.paging import check_first
from duka.core.pagination import encode_cursor
from duka.customers.schemas import CustomerPublic
from duka.notifications.models import NotificationStatus as DomainNotificationStatus
from duka.notifications.schemas import NotificationPublic
from duka.notifications.sms.gsm import SmsEncoding as DomainSmsEncoding
from duka.orders.schemas import OrderPublic

Info = strawberry.Info[GraphQLContext, None]

NotificationStatus = strawberry.enum(
    DomainNotificationStatus,
    description="pending → sending → sent → delivered, or failed; suppressed: the number "
    "opted out, so the SMS was stored and never sent.",
)
SmsEncoding = strawberry.enum(
    DomainSmsEncoding,
    description="GSM7: the GSM 03.38 alphabet (160 characters a segment); UCS2: any other "
    "character in the text (70 a segment).",
)


@strawberry.type(description="What Africa's Talking reported a send cost.")
class SmsCost:
    amount: Decimal = strawberry.field(description='e.g. 0.8000 (from "KES 0.8000").')
    currency: str = strawberry.field(description="ISO 4217, e.g. KES.")


# `Customer.orders(first:)` without `first`, and its ceiling (the connections' ceiling).
NESTED_ORDERS_DEFAULT = 10


@strawberry.type(description="An order's SMS, as the outbox records it.")
class Notification:
    status: NotificationStatus  # type: ignore[valid-type]
    updated_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    public: strawberry.Private[NotificationPublic]

    @field("Send attempts so far (staff only).")
    def attempts(self, info: Info) -> int | None:
        info.context.require_staff()
        return self.public.attempts

    @field("The provider's last error (staff only).")
    def last_error(self, info: Info) -> str | None:
        info.context.require_staff()
        return self.public.last_error

    @field("The provider's message id (staff only).")
    def provider_message_id(self, info: Info) -> str | None:
        info.context.require_staff()
        return self.public.provider_message_id

    @field("GSM-7 or UCS-2, recorded when AT accepted the SMS (staff only).")
    def encoding(self, info: Info) -> SmsEncoding | None:  # type: ignore[valid-type]
        info.context.require_staff()
        return self.public.encoding

    @field("SMS segments the text takes, each billed (staff only).")
    def segments(self, info: Info) -> int | None:
        info.context.require_staff()
        return self.public.segments

    @field("The cost AT reported for the send (staff only).")
    def cost(self, info: Info) -> SmsCost | None:
        info.context.require_staff()
        n = self.public
        if n.cost_amount is None or n.cost_currency is None:
            return None
        return SmsCost(amount=n.cost_amount, currency=n.cost_currency)

    @classmethod
    def of(cls, n: NotificationPublic) -> Notification:
        return cls(
            status=n.status,
            updated_at=n.updated_at,
            sent_at=n.sent_at,
            delivered_at=n.delivered_at,
            public=n,
        )


@strawberry.type(description="A customer of the business.")
class Customer:
    id: uuid.UUID
    code: str
    name: str
    phone: str = strawberry.field(description="E.164")
    created_at: datetime
    updated_at: datetime

    @field(
        "The customer's first orders (by orderedAt), batched per request; "
        "page through all of them with `orders(customerId:)`. Needs orders:read."
    )
    async def orders(self, info: Info, first: int = NESTED_ORDERS_DEFAULT) -> list[Order]:
        info.context.require("orders:read")
        loaders = info.context.loaders
        assert loaders is not None
        found = await loaders.customer_orders.load((self.id, check_first(first)))
        return [Order.of(o) for o in found]

    @classmethod
    def of(cls, c: CustomerPublic) -> Customer:
        return cls(
            id=c.id,
            code=c.code,
            name=c.name,
            phone=c.phone,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


@strawberry.type(description="An order, with the state of its SMS.")
class Order:
    id: uuid.UUID
    reference: str = strawberry.field(description="Short human reference, as in the SMS.")
    customer_id: uuid.UUID
    customer_code: str
    item: str
    quantity: int
    amount: Decimal
    currency: str
    ordered_at: datetime
    created_at: datetime
    notification: Notification | None
    public: strawberry.Private[OrderPublic]

    @field("Who entered the order (the token's sub; staff only).")
    def created_by(self, info: Info) -> str | None:
        info.context.require_staff()
        return self.public.created_by

    @field("The order's customer, batched per request. Needs customers:read.")
    async def customer(self, info: Info) -> Customer | None:
        info.context.require("customers:read")
        loaders = info.context.loaders
        assert loaders is not None
        found = await loaders.customer.load(self.customer_id)
        return Customer.of(found) if found is not None else None

    @classmethod
    def of(cls, o: OrderPublic) -> Order:
        return cls(
            id=o.id,
            reference=o.reference,
            customer_id=o.customer_id,
            customer_code=o.customer_code,
            item=o.item,
            quantity=o.quantity,
            amount=o.amount,
            currency=o.currency,
            ordered_at=o.ordered_at,
            created_at=o.created_at,
            notification=Notification.of(o.notification) if o.notification else None,
            public=o,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page (REST's `next_cursor`, the same "
        "keyset cursor); null on the last page."
    )


Node = TypeVar("Node")


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    """A page: named `CustomerConnection`, `OrderConnection` by strawberry."""

    edges: list[Edge[Node]]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Node]:
        return [e.node for e in self.edges]


def customer_page(items: list[CustomerPublic], next_cursor: str | None) -> Connection[Customer]:
    edges = [Edge(cursor=encode_cursor(c.created_at, c.id), node=Customer.of(c)) for c in items]
    return Connection(edges=edges, page_info=_page_info(next_cursor))


def order_page(items: list[OrderPublic], next_cursor: str | None) -> Connection[Order]:
    edges = [Edge(cursor=encode_cursor(o.ordered_at, o.id), node=Order.of(o)) for o in items]
    return Connection(edges=edges, page_info=_page_info(next_cursor))


def _page_info(next_cursor: str | None) -> PageInfo:
    return PageInfo(has_next_page=next_cursor is not None, end_cursor=next_cursor)
