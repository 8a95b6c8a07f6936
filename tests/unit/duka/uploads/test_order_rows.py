"""Order rows: OrderCreate's rules, defaults, and exactly one customer reference."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from duka.core.errors import FieldError
from duka.core.settings import Settings
from duka.orders.schemas import OrderCreate
from duka.uploads.exceptions import RowErrors
from duka.uploads.order_rows import COLUMNS, FIELDS, CustomerRef, OrderRow, OrderRows

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
CUSTOMER = uuid.UUID("0b9e2f3a-8c1d-4b6e-9f7a-1c2d3e4f5a6b")
EVERYONE: set[CustomerRef] = {"cust-1", "c1", "c9", CUSTOMER}


def _rows() -> OrderRows:
    return OrderRows(Settings(default_currency="UGX"), now=NOW)


def _values(**given: object) -> list[object]:
    return [given.get(name) for name in FIELDS]


def _add(rows: OrderRows, row: int, **given: object) -> list[FieldError]:
    problems: list[FieldError] = []
    rows.add(_values(**given), row, problems)
    return problems


def _checked(
    rows: OrderRows, known: set[CustomerRef] | None = None
) -> tuple[list[OrderRow], RowErrors]:
    errors = RowErrors()
    good = list(rows.checked(errors, EVERYONE if known is None else known))
    return good, errors


def test_the_columns_are_order_create_fields() -> None:
    assert COLUMNS.names == tuple(OrderCreate.model_fields)
    assert frozenset({"customer_id", "customer_code"}) in COLUMNS.required


def test_a_good_row_gets_defaults_and_a_lower_cased_code() -> None:
    rows = _rows()
    assert _add(rows, 4, customer_code=" CUST-1 ", item="Maize", amount="12.5") == []
    assert rows.customers() == [(4, "cust-1")]
    good, errors = _checked(rows)
    assert good == [(4, "cust-1", "Maize", 1, Decimal("12.50"), "UGX", NOW)]
    assert not errors
    assert len(rows) == 0  # checked rows are let go of


def test_given_values_are_validated_like_single_create() -> None:
    rows = _rows()
    given = {
        "customer_id": str(CUSTOMER),
        "item": "Rice",
        "quantity": "3",
        "amount": "975",
        "currency": "kes",
        "ordered_at": "2026-11-26T14:05:00+03:00",
    }
    assert _add(rows, 1, **given) == []
    [(row, ref, item, quantity, amount, currency, ordered_at)], _ = _checked(rows)
    assert (row, ref, item, quantity, amount, currency) == (
        1,
        CUSTOMER,
        "Rice",
        3,
        Decimal("975.00"),
        "KES",
    )
    assert ordered_at == datetime(2026, 11, 26, 11, 5, tzinfo=UTC)


def test_every_fault_of_a_row_is_reported_and_its_customer_still_looked_up() -> None:
    rows = _rows()
    assert _add(rows, 2, customer_code="C9", amount="0", currency="XXY") == []
    assert rows.customers() == [(2, "c9")]
    good, errors = _checked(rows)
    assert good == []
    assert [(e.field, e.code, e.row) for e in errors.listed] == [
        ("item", "missing", 2),
        ("amount", "greater_than", 2),
        ("currency", "value_error", 2),
    ]


def test_a_row_must_name_its_customer_exactly_once() -> None:
    rows = _rows()
    for given in ({}, {"customer_code": "C1", "customer_id": str(CUSTOMER)}):
        problems = _add(rows, 3, item="x", amount="1", **given)
        assert [(p.field, p.code) for p in problems] == [("customer_id", "customer_reference")]
    assert rows.customers() == []
    assert _checked(rows)[0] == []


def test_a_bad_customer_reference_is_a_field_error() -> None:
    rows = _rows()
    problems = _add(rows, 5, customer_id="nope", item="x", amount="1")
    problems += _add(rows, 6, customer_code="has space", item="x", amount="1")
    assert [(p.field, p.code, p.row) for p in problems] == [
        ("customer_id", "uuid_parsing", 5),
        ("customer_code", "string_pattern_mismatch", 6),
    ]
    assert rows.customers() == []
    good, errors = _checked(rows)
    assert good == []
    assert not errors  # the other fields are fine; the reference was reported when read


def test_rows_of_unknown_customers_are_not_given_out() -> None:
    rows = _rows()
    _add(rows, 1, customer_code="C1", item="x", amount="1")
    _add(rows, 2, customer_code="C9", item="x", amount="1")
    good, _ = _checked(rows, known={"c1"})
    assert [order[0] for order in good] == [1]


def test_a_row_without_values_adds_nothing() -> None:
    rows = _rows()
    problems = [FieldError("row", "bad shape", row=1)]
    rows.add(None, 1, problems)
    assert len(problems) == 1
    assert len(rows) == 0


def test_shape_faults_alone_make_the_row_bad() -> None:
    rows = _rows()
    problems = [FieldError("extra", "unknown field", row=1, code="extra_forbidden")]
    rows.add(_values(customer_code="C1", item="x", amount="1"), 1, problems)
    assert rows.customers() == [(1, "c1")]
    good, errors = _checked(rows)
    assert good == []
    assert not errors
