"""Mutation inputs, turned into the domain's pydantic schemas (REST's request bodies).

GraphQL checks only the shapes; every rule (lengths, control characters, phones, amounts,
currencies, time zones) is the schema's own, so a value REST refuses is refused here too,
named by its GraphQL field.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types.unset import UNSET

from duka.customers.schemas import CustomerCreate, CustomerUpdate
from duka.orders.schemas import OrderCreate
from duka.uploads.upload import Upload, UploadFormat


def _given(obj: object, names: tuple[str, ...]) -> dict[str, Any]:
    """The fields the client gave (null included), leaving out those it did not."""
    return {n: getattr(obj, n) for n in names if getattr(obj, n) is not UNSET}


@strawberry.input
class CreateCustomerInput:
    name: str
    phone: str = strawberry.field(description="E.164, or local to the default region.")
    code: str | None = strawberry.field(
        default=UNSET, description="Generated (CUST-000001…) when omitted."
    )

    def to_domain(self) -> CustomerCreate:
        return CustomerCreate.model_validate(_given(self, ("code", "name", "phone")))


@strawberry.input(description="Only the fields given change; none may be null.")
class UpdateCustomerInput:
    code: str | None = UNSET
    name: str | None = UNSET
    phone: str | None = UNSET

    def to_domain(self) -> CustomerUpdate:
        return CustomerUpdate.model_validate(_given(self, ("code", "name", "phone")))


_ORDER_FIELDS = (
    "customer_id",
    "customer_code",
    "item",
    "quantity",
    "amount",
    "currency",
    "ordered_at",
)


@strawberry.input(description="Name the customer by customerId or by customerCode.")
class OrderInput:
    item: str
    amount: Decimal = strawberry.field(description="> 0, at most 2 decimals.")
    customer_id: uuid.UUID | None = UNSET
    customer_code: str | None = UNSET
    quantity: int | None = UNSET
    currency: str | None = strawberry.field(default=UNSET, description="ISO 4217; default KES.")
    ordered_at: datetime | None = strawberry.field(
        default=UNSET, description="With a UTC offset; defaults to now."
    )

    def given(self) -> dict[str, Any]:
        # A null means "not given", as a JSON null does to REST's OrderCreate.
        return {k: v for k, v in _given(self, _ORDER_FIELDS).items() if v is not None}

    def to_domain(self) -> OrderCreate:
        return OrderCreate.model_validate(self.given())


def _json_value(value: object) -> object:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def batch_upload(inputs: list[OrderInput]) -> Upload:
    """A batch as the upload service reads it: a JSON array, row N being `inputs[N-1]`."""
    rows = [{k: _json_value(v) for k, v in i.given().items()} for i in inputs]
    body = json.dumps(rows, ensure_ascii=False).encode()

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    return Upload(format=UploadFormat.JSON, field="inputs", chunks=chunks())
