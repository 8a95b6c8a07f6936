from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from duka.customers.schemas import CustomerUpdate
from duka.orders.schemas import OrderCreate


def order(**fields: Any) -> OrderCreate:
    return OrderCreate.model_validate(
        {"customer_code": "C-1", "item": "Tea", "amount": 1, **fields}
    )


@pytest.mark.parametrize(
    ("raw", "cents"),
    [
        ("1250", "1250.00"),
        ("1250.5", "1250.50"),
        ("1.25E+3", "1250.00"),
        (7, "7.00"),
        ("0.01", "0.01"),
    ],
)
def test_amounts_are_held_in_cents(raw: Any, cents: str) -> None:
    amount = order(amount=raw).amount
    assert str(amount) == cents
    assert amount.as_tuple().exponent == -2


def test_amounts_written_differently_serialise_the_same() -> None:
    assert order(amount="1250").model_dump_json() == order(amount=1250.0).model_dump_json()


def test_ordered_at_is_answered_in_utc() -> None:
    local = datetime(2026, 11, 26, 14, 5, tzinfo=timezone(timedelta(hours=3)))
    got = order(ordered_at=local).ordered_at
    assert got == local
    assert got is not None
    assert got.utcoffset() == timedelta(0)
    assert got.hour == 11


@pytest.mark.parametrize(
    "moment",
    [datetime(1900, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)],
)
def test_ordered_at_range_is_inclusive_of_its_ends(moment: datetime) -> None:
    assert order(ordered_at=moment).ordered_at == moment


@pytest.mark.parametrize(
    "moment",
    [
        "1899-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
    ],
)
def test_ordered_at_outside_the_range_is_refused(moment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        order(ordered_at=moment)
    assert "between 1900-01-01 and 2999-12-31" in str(caught.value)


def test_defaults_are_left_to_the_service() -> None:
    o = order()
    assert (o.quantity, o.currency, o.ordered_at, o.customer_id) == (1, None, None, None)
    assert o.amount == Decimal("1.00")


def test_customer_update_records_which_fields_were_sent() -> None:
    update = CustomerUpdate.model_validate({"name": None})
    assert update.model_fields_set == {"name"}
    assert CustomerUpdate.model_validate({}).model_fields_set == set()
