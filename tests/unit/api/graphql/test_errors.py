"""The one mapping of domain exceptions to GraphQL errors (api/graphql/errors.py)."""

from __future__ import annotations

import logging

import psycopg
import pytest
from graphql import GraphQLError
from pydantic import BaseModel, ValidationError

from api.graphql.errors import CODES, INTERNAL_MESSAGE, code_of, format_error, graphql_field
from api.graphql.payloads import Conflict, NotFound, ValidationFailed, expected_error
from duka.core.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    FieldError,
    ForbiddenError,
    IdempotencyKeyInFlightError,
    IdempotencyKeyReusedError,
    PayloadTooLargeError,
    RateLimitedError,
    ServiceUnavailableError,
    ValidationFailedError,
)
from duka.customers.exceptions import CustomerCodeTakenError, CustomerNotFoundError
from duka.orders.exceptions import UnknownCustomerError


class _Shape(BaseModel):
    customer_code: str
    quantity: int


def _pydantic_error() -> ValidationError:
    try:
        _Shape.model_validate({"quantity": "many"})
    except ValidationError as exc:
        return exc
    raise AssertionError("no error")


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (AuthenticationError("no token"), "UNAUTHENTICATED"),
        (ForbiddenError("no role"), "FORBIDDEN"),
        (CustomerNotFoundError("x"), "NOT_FOUND"),
        (CustomerCodeTakenError("A"), "CONFLICT"),
        (ConflictError("busy"), "CONFLICT"),
        (IdempotencyKeyReusedError("other body"), "CONFLICT"),
        (IdempotencyKeyInFlightError("in flight"), "CONFLICT"),
        (UnknownCustomerError("customer_id"), "BAD_USER_INPUT"),
        (PayloadTooLargeError("big"), "BAD_USER_INPUT"),
        (DomainError("other"), "BAD_USER_INPUT"),
        (RateLimitedError("slow down", 3), "RATE_LIMITED"),
        (ServiceUnavailableError("db down"), "INTERNAL"),
        (RuntimeError("SELECT secret FROM t"), "INTERNAL"),
    ],
)
def test_each_exception_has_one_code(exc: Exception, code: str) -> None:
    assert code_of(exc) == code
    assert code in CODES


def test_codes_are_the_documented_seven() -> None:
    assert {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "CONFLICT",
        "BAD_USER_INPUT",
        "RATE_LIMITED",
        "INTERNAL",
    } == CODES


@pytest.mark.parametrize(
    ("domain", "graphql"),
    [
        ("customer_code", "customerCode"),
        ("ordered_at", "orderedAt"),
        ("header.Idempotency-Key", "idempotencyKey"),
        ("cursor", "after"),
        ("item", "item"),
    ],
)
def test_field_names_follow_graphql(domain: str, graphql: str) -> None:
    assert graphql_field(domain) == graphql


def _wrapped(exc: Exception) -> GraphQLError:
    return GraphQLError(str(exc), path=["order"], original_error=exc)


def test_unexpected_errors_are_masked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        out = format_error(_wrapped(RuntimeError('relation "secret" does not exist')))
    assert out.message == INTERNAL_MESSAGE
    assert out.extensions == {"code": "INTERNAL"}
    assert "secret" not in out.message
    assert any(r.exc_info for r in caplog.records)


def test_a_rate_limit_says_when_to_retry() -> None:
    out = format_error(_wrapped(RateLimitedError("too many orders", 7)))
    assert out.extensions is not None
    assert out.extensions["code"] == "RATE_LIMITED"
    assert out.extensions["retryAfter"] == 7
    assert out.message == "too many orders"


def test_an_unavailable_database_shows_no_internals() -> None:
    out = format_error(_wrapped(ServiceUnavailableError("pool timeout at 10.0.0.3")))
    assert "10.0.0.3" not in out.message
    assert out.extensions is not None
    assert out.extensions["code"] == "INTERNAL"


def test_a_lost_database_is_internal_with_a_retry_and_no_text() -> None:
    lost = psycopg.OperationalError("connection to 10.0.0.3 port 5432 refused")
    out = format_error(_wrapped(lost))
    assert out.extensions == {"code": "INTERNAL", "retryAfter": 5}
    assert "10.0.0.3" not in out.message


def test_validation_lists_each_field_with_its_index() -> None:
    exc = ValidationFailedError(
        "2 rows failed", [FieldError("amount", "must be > 0", row=3, code="greater_than")]
    )
    out = format_error(_wrapped(exc))
    assert out.extensions is not None
    assert out.extensions["code"] == "BAD_USER_INPUT"
    assert out.extensions["fields"] == [
        {"field": "amount", "message": "must be > 0", "code": "greater_than", "index": 2}
    ]


def test_document_errors_are_bad_user_input() -> None:
    out = format_error(GraphQLError("Cannot query field 'x' on type 'Query'."))
    assert out.extensions == {"code": "BAD_USER_INPUT"}


def test_expected_failures_become_union_members() -> None:
    found = expected_error(CustomerNotFoundError("with id 1"))
    assert isinstance(found, NotFound)
    assert found.code == "NOT_FOUND"
    taken = expected_error(CustomerCodeTakenError("A"))
    assert isinstance(taken, Conflict)
    assert taken.reason == "customer-code-taken"
    reused = expected_error(IdempotencyKeyReusedError("other"))
    assert isinstance(reused, Conflict)
    assert reused.reason == "idempotency-key-reused"
    bad = expected_error(_pydantic_error())
    assert isinstance(bad, ValidationFailed)
    assert {f.field for f in bad.fields} == {"customerCode", "quantity"}


def test_other_failures_stay_graphql_errors() -> None:
    with pytest.raises(ForbiddenError):
        expected_error(ForbiddenError("no"))
    with pytest.raises(RateLimitedError):
        expected_error(RateLimitedError("no", 1))
