"""Mutation results: a payload on success, or a typed error the client can switch on.

Only expected failures are union members (validation, not found, conflict); the rest
(FORBIDDEN, RATE_LIMITED, INTERNAL, ...) stay GraphQL errors with `extensions.code`. Which
member an exception becomes is decided by `api/graphql/errors.py`'s `code_of`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from pydantic import ValidationError

from api.graphql.errors import as_validation_failed, code_of, field_errors
from api.graphql.types import Customer, Notification, Order
from duka.core.errors import DomainError, ValidationFailedError


@strawberry.interface(name="UserError", description="An expected failure of a mutation.")
class ExpectedFailure:
    message: str
    code: str = strawberry.field(description="As in errors' extensions.code.")


@strawberry.type(description="One value at fault.")
class FieldProblem:
    field: str = strawberry.field(description="The input field, e.g. `customerCode`.")
    message: str
    code: str = strawberry.field(description="Machine-readable reason, e.g. `too_long`.")
    index: int | None = strawberry.field(
        default=None, description="0-based position in a batch's `inputs`."
    )


@strawberry.type(description="Input broke a rule; every field at fault is listed.")
class ValidationFailed(ExpectedFailure):
    fields: list[FieldProblem]


@strawberry.type(description="What the mutation names does not exist (or is not yours).")
class NotFound(ExpectedFailure):
    pass


@strawberry.type(description="The request conflicts with the current state.")
class Conflict(ExpectedFailure):
    reason: str = strawberry.field(
        description="e.g. customer-code-taken, customer-has-orders, idempotency-key-reused."
    )


def expected_error(exc: Exception) -> ValidationFailed | NotFound | Conflict:
    """The union member for an expected failure; any other exception is raised again."""
    if isinstance(exc, ValidationError):
        exc = as_validation_failed(exc)
    code = code_of(exc)
    if code == "BAD_USER_INPUT" and isinstance(exc, ValidationFailedError):
        fields = [
            FieldProblem(
                field=e.field,
                message=e.message,
                code=e.code,
                index=e.row - 1 if e.row is not None else None,
            )
            for e in field_errors(exc)
        ]
        return ValidationFailed(message=exc.detail, code=code, fields=fields)
    if code == "NOT_FOUND" and isinstance(exc, DomainError):
        return NotFound(message=exc.detail, code=code)
    if code == "CONFLICT" and isinstance(exc, DomainError):
        return Conflict(message=exc.detail, code=code, reason=exc.slug)
    raise exc


@strawberry.type
class CustomerPayload:
    customer: Customer


@strawberry.type
class DeleteCustomerPayload:
    deleted_id: uuid.UUID


@strawberry.type
class CreateOrderPayload:
    order: Order
    replayed: bool = strawberry.field(
        description="True when the idempotency key replayed an earlier answer."
    )


@strawberry.type
class CreateOrdersPayload:
    created: int = strawberry.field(description="Orders created: every input (all or none).")


@strawberry.type
class RetryNotificationPayload:
    notification: Notification


Expected = ValidationFailed | NotFound | Conflict
CustomerResult = Annotated[CustomerPayload | Expected, strawberry.union("CustomerResult")]
DeleteCustomerResult = Annotated[
    DeleteCustomerPayload | Expected, strawberry.union("DeleteCustomerResult")
]
CreateOrderResult = Annotated[CreateOrderPayload | Expected, strawberry.union("CreateOrderResult")]
CreateOrdersResult = Annotated[
    CreateOrdersPayload | Expected, strawberry.union("CreateOrdersResult")
]
RetryNotificationResult = Annotated[
    RetryNotificationPayload | Expected, strawberry.union("RetryNotificationResult")
]
