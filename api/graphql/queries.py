"""Read queries: the REST reads, through the same services and the same ownership rule."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from api.graphql.fields import field
from api.graphql.paging import DEFAULT_LIMIT, check_first
from api.graphql.types import (
    Connection,
    Customer,
    Info,
    Order,
    customer_page,
    order_page,
)
from duka.core.errors import FieldError, ValidationFailedError


def _one_of(**given: object) -> None:
    if sum(v is not None for v in given.values()) != 1:
        names = " or ".join(given)
        raise ValidationFailedError(
            f"Give exactly one of {names}.",
            [FieldError(next(iter(given)), f"give exactly one of {names}", code="one_of")],
        )


@strawberry.type
class Query:
    # `customer` and `order` are nullable so that one refused or missing lookup (an error
    # with its path) does not null the other root fields of the same operation.
    @field("One customer by id or by code (any case). Needs customers:read.")
    async def customer(
        self, info: Info, id: uuid.UUID | None = None, code: str | None = None
    ) -> Customer | None:
        principal = info.context.require("customers:read")
        _one_of(id=id, code=code)
        service = info.context.services.customers
        if id is not None:
            return Customer.of(await service.get(principal, id))
        return Customer.of(await service.get_by_code(principal, str(code)))

    @field("Customers by creation time, keyset-paginated as REST. Needs customers:read.")
    async def customers(
        self,
        info: Info,
        first: int = DEFAULT_LIMIT,
        after: str | None = None,
        code: str | None = None,
        q: str | None = None,
    ) -> Connection[Customer]:
        principal = info.context.require("customers:read")
        page = await info.context.services.customers.list(
            principal, code=code, q=q, cursor=after, limit=check_first(first)
        )
        return customer_page(page.items, page.next_cursor)

    @field("One order with its SMS state. Needs orders:read.")
    async def order(self, info: Info, id: uuid.UUID) -> Order | None:
        principal = info.context.require("orders:read")
        return Order.of(await info.context.services.orders.get(principal, id))

    @field(
        "Orders by orderedAt, keyset-paginated as REST; orderedFrom "
        "inclusive, orderedTo exclusive. Needs orders:read."
    )
    async def orders(
        self,
        info: Info,
        first: int = DEFAULT_LIMIT,
        after: str | None = None,
        customer_id: uuid.UUID | None = None,
        customer_code: str | None = None,
        ordered_from: datetime | None = None,
        ordered_to: datetime | None = None,
    ) -> Connection[Order]:
        principal = info.context.require("orders:read")
        page = await info.context.services.orders.list(
            principal,
            customer_id=customer_id,
            customer_code=customer_code,
            ordered_from=ordered_from,
            ordered_to=ordered_to,
            cursor=after,
            limit=check_first(first),
        )
        return order_page(page.items, page.next_cursor)
