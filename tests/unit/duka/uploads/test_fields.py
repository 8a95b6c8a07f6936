"""Each upload field passes or fails exactly as the same field of the create schema does."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from duka.orders.schemas import OrderCreate
from duka.uploads import fields
from duka.uploads.fields import FieldCheck, Invalid

BASE = {"customer_code": "C1", "item": "Maize", "amount": "10"}
SAMPLES: list[tuple[str, Any]] = [
    ("customer_code", " cust-1 "),
    ("customer_code", "bad code!"),
    ("customer_id", "0b9e2f3a-8c1d-4b6e-9f7a-1c2d3e4f5a6b"),
    ("customer_id", "not-a-uuid"),
    ("item", "  Maize flour  "),
    ("item", "tab\there"),
    ("item", "x" * 201),
    ("item", "\u202eRTL override"),
    ("quantity", "3"),
    ("quantity", 7),
    ("quantity", "0"),
    ("quantity", "2.5"),
    ("amount", "1250"),
    ("amount", "1.5"),
    ("amount", 12.25),
    ("amount", "0"),
    ("amount", "1.001"),
    ("amount", "99999999999"),
    ("amount", "NaN"),
    ("amount", "1,000"),
    ("currency", "kes"),
    ("currency", " USD "),
    ("currency", "XXY"),
    ("ordered_at", "2026-11-26T14:05:00+03:00"),
    ("ordered_at", "2026-11-26T14:05:00"),
    ("ordered_at", "1899-12-31T23:00:00Z"),
    ("ordered_at", "tomorrow"),
]


@pytest.mark.parametrize(("name", "raw"), SAMPLES)
def test_check_agrees_with_the_schema(name: str, raw: Any) -> None:
    result = FieldCheck(OrderCreate, name)(raw)
    body = {**BASE, name: raw}
    if name == "customer_id":
        del body["customer_code"]
    try:
        expected = getattr(OrderCreate.model_validate(body), name)
    except ValidationError as exc:
        [error] = exc.errors()
        assert isinstance(result, Invalid)
        assert result.code == error["type"]
        assert result.message == str(error["msg"]).removeprefix("Value error, ")
    else:
        assert result == expected
        assert type(result) is type(expected)


def test_results_for_text_are_remembered() -> None:
    check = FieldCheck(OrderCreate, "amount")
    first = check("12.5")
    assert check("12.5") is first
    bad = check("-1")
    assert isinstance(bad, Invalid)
    assert check("-1") is bad


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fields, "CACHE_SIZE", 2)
    check = FieldCheck(OrderCreate, "quantity")
    for raw in ("1", "2", "3", "4"):
        assert check(raw) == int(raw)
    assert len(check.cache) == 2


def test_an_invalid_value_becomes_a_row_error() -> None:
    result = FieldCheck(OrderCreate, "currency")("XXY")
    assert isinstance(result, Invalid)
    error = result.at("currency", 12)
    assert (error.field, error.row, error.code) == ("currency", 12, "value_error")
    assert error.message == "must be an ISO 4217 currency code such as KES"


def test_missing_is_a_required_field_error() -> None:
    error = fields.missing("item", 3)
    assert (error.field, error.row, error.code, error.message) == (
        "item",
        3,
        "missing",
        "Field required",
    )
