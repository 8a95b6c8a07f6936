"""Mutations: REST's writes, through the same services (same transactions, same outbox,
same idempotency keys and rate limits). Expected failures are members of each result union.
"""

from __future__ import annotations

import uuid

import strawberry
from pydantic import ValidationError

from api.graphql.fields import mutation
from api.graphql.inputs import (
    CreateCustomerInput,
    OrderInput,
    UpdateCustomerInput,
    batch_upload,
)
from api.graphql.payloads import (
    CreateOrderPayload,
    CreateOrderResult,
    CreateOrdersPayload,
    CreateOrdersResult,
    CustomerPayload,
    CustomerResult,
    DeleteCustomerPayload,
    DeleteCustomerResult,
    RetryNotificationPayload,
    RetryNotificationResult,
    expected_error,
)
from api.graphql.types import Customer, Info, Notification, Order
from duka.core.errors import DomainError, FieldError, ValidationFailedError

EXPECTED = (DomainError, ValidationError)


@strawberry.type
class Mutation:
    @mutation("Create a customer. Needs customers:write.")
    async def create_customer(
        self, info: Info, input: CreateCustomerInput, idempotency_key: str | None = None
    ) -> CustomerResult:
        principal = info.context.require("customers:write")
        try:
            customer, _ = await info.context.services.customers.create(
                input.to_domain(), principal, idempotency_key
            )
        except EXPECTED as exc:
            return expected_error(exc)
        return CustomerPayload(customer=Customer.of(customer))

    @mutation("Change the fields given. Needs customers:write.")
    async def update_customer(
        self, info: Info, id: uuid.UUID, input: UpdateCustomerInput
    ) -> CustomerResult:
        principal = info.context.require("customers:write")
        try:
            customer = await info.context.services.customers.update(
                principal, id, input.to_domain()
            )
        except EXPECTED as exc:
            return expected_error(exc)
        return CustomerPayload(customer=Customer.of(customer))

    @mutation("Delete a customer without orders. Needs customers:write.")
    async def delete_customer(self, info: Info, id: uuid.UUID) -> DeleteCustomerResult:
        principal = info.context.require("customers:write")
        try:
            await info.context.services.customers.delete(principal, id)
        except EXPECTED as exc:
            return expected_error(exc)
        return DeleteCustomerPayload(deleted_id=id)

    @mutation(
        "Create an order and queue its SMS. The same idempotencyKey with the same "
        "input replays the first answer (replayed: true) and creates nothing; with another "
        "input it is a Conflict. Needs orders:write; rate-limited as REST's POST /orders."
    )
    async def create_order(
        self, info: Info, input: OrderInput, idempotency_key: str | None = None
    ) -> CreateOrderResult:
        principal = info.context.require("orders:write")
        try:
            order, replayed = await info.context.services.orders.create(
                input.to_domain(), principal, idempotency_key
            )
        except EXPECTED as exc:
            return expected_error(exc)
        return CreateOrderPayload(order=Order.of(order), replayed=replayed)

    @mutation(
        "Create up to DUKA_GRAPHQL_MAX_BATCH orders, all or none: a bad input "
        "fails the batch, every fault listed by index and field. Needs orders:write; "
        "rate-limited as REST's order uploads."
    )
    async def create_orders(
        self, info: Info, inputs: list[OrderInput], idempotency_key: str | None = None
    ) -> CreateOrdersResult:
        principal = info.context.require("orders:write")
        cap = info.context.settings.graphql_max_batch
        try:
            if not 1 <= len(inputs) <= cap:
                raise ValidationFailedError(
                    "The batch size is out of range.",
                    [FieldError("inputs", f"give 1 to {cap} inputs", code="batch_size")],
                )
            result, _ = await info.context.services.uploads.orders(
                batch_upload(inputs), principal, idempotency_key
            )
        except EXPECTED as exc:
            return expected_error(exc)
        return CreateOrdersPayload(created=result.created)

    @mutation("Send a failed order SMS again. Admin only.")
    async def retry_notification(self, info: Info, order_id: uuid.UUID) -> RetryNotificationResult:
        principal = info.context.require("admin")
        try:
            notification = await info.context.services.notifications.retry(principal, order_id)
        except EXPECTED as exc:
            return expected_error(exc)
        return RetryNotificationPayload(notification=Notification.of(notification))
