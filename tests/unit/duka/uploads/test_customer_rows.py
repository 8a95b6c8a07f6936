"""Customer rows: CustomerCreate's rules, E.164 phones, and codes unique within the upload."""

from __future__ import annotations

from duka.core.errors import FieldError
from duka.core.settings import Settings
from duka.customers.schemas import CustomerCreate
from duka.uploads.customer_rows import COLUMNS, CustomerRows


def _add(
    rows: CustomerRows, row: int, code: object, name: object, phone: object
) -> list[FieldError]:
    problems: list[FieldError] = []
    rows.add([code, name, phone], row, problems)
    return problems


def test_the_columns_are_customer_create_fields() -> None:
    assert COLUMNS.names == tuple(CustomerCreate.model_fields)
    assert COLUMNS.required == (frozenset({"name"}), frozenset({"phone"}))


def test_good_rows_keep_the_code_as_given_and_the_phone_in_e164() -> None:
    rows = CustomerRows(Settings(default_phone_region="KE"))
    assert _add(rows, 1, " Cust-1 ", " Jane Wanjiku ", "0712 345 678") == []
    assert _add(rows, 2, None, "Otieno", "+254722000111") == []
    assert rows.rows == [
        (1, "Cust-1", "Jane Wanjiku", "+254712345678"),
        (2, None, "Otieno", "+254722000111"),
    ]
    assert rows.first_row_of_code == {"cust-1": 1}


def test_local_numbers_are_read_in_the_configured_region() -> None:
    rows = CustomerRows(Settings(default_phone_region="UG"))
    assert _add(rows, 1, None, "Okello", "0772123456") == []
    assert rows.rows[0][3] == "+256772123456"


def test_a_code_used_again_in_any_case_fails_the_later_row() -> None:
    rows = CustomerRows(Settings())
    assert _add(rows, 1, "C-1", "A", "0712345678") == []
    [error] = _add(rows, 2, "c-1", "B", "0712345679")
    assert (error.field, error.code, error.row) == ("code", "duplicate_code", 2)
    assert "row 1" in error.message
    assert [r[0] for r in rows.rows] == [1]


def test_every_fault_of_a_row_is_reported() -> None:
    rows = CustomerRows(Settings())
    problems = _add(rows, 3, "bad code", None, "12")
    assert [(p.field, p.code) for p in problems] == [
        ("code", "string_pattern_mismatch"),
        ("name", "missing"),
        ("phone", "too_short"),
    ]
    problems = _add(rows, 4, None, "a\x00b", None)
    assert [(p.field, p.code) for p in problems] == [("name", "value_error"), ("phone", "missing")]
    assert rows.rows == []


def test_a_number_that_is_not_valid_is_refused_every_time() -> None:
    rows = CustomerRows(Settings())
    for row in (1, 2):
        [error] = _add(rows, row, None, "Jane", "0700 000")
        assert (error.field, error.code, error.row) == ("phone", "invalid_phone", row)
    assert rows.rows == []


def test_a_row_without_values_adds_nothing() -> None:
    rows = CustomerRows(Settings())
    problems: list[FieldError] = []
    rows.add(None, 1, problems)
    assert problems == []
    assert rows.rows == []
