from __future__ import annotations

from duka.core.errors import (
    ConflictError,
    DomainError,
    FieldError,
    NotFoundError,
    ValidationFailedError,
)
from duka.customers.exceptions import CustomerCodeTakenError, CustomerHasOrdersError
from duka.orders.exceptions import UnknownCustomerError, customer_reference_error


def test_domain_errors_carry_detail_status_and_slug() -> None:
    err = NotFoundError("No customer 1.")
    assert (str(err), err.detail, err.status, err.slug) == (
        "No customer 1.",
        "No customer 1.",
        404,
        "not-found",
    )
    assert isinstance(err, DomainError)
    assert ConflictError("x").status == 409


def test_validation_error_holds_its_field_errors() -> None:
    err = ValidationFailedError("bad", [FieldError("amount", "too big", row=3)])
    assert str(err) == "bad"
    assert err.status == 422
    assert err.errors == [FieldError("amount", "too big", row=3, code="invalid")]
    assert ValidationFailedError("empty").errors == []


def test_feature_errors_specialise_the_core_ones() -> None:
    taken = CustomerCodeTakenError("Shop-1")
    assert isinstance(taken, ConflictError)
    assert taken.slug == "customer-code-taken"
    assert "'Shop-1'" in taken.detail
    assert CustomerHasOrdersError().slug == "customer-has-orders"
    unknown = UnknownCustomerError("customer_code", row=5)
    assert [(e.field, e.row, e.code) for e in unknown.errors] == [
        ("customer_code", 5, "unknown_customer")
    ]
    ref = customer_reference_error()
    assert [e.field for e in ref.errors] == ["customer_id"]
