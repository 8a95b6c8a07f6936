"""Collecting bad rows: all counted, listed up to a cap, in row order."""

from __future__ import annotations

from duka.core.errors import FieldError
from duka.uploads.exceptions import RowErrors, UploadCodeRaceError


def test_no_errors_is_false() -> None:
    assert not RowErrors()


def test_rows_are_counted_once_and_listed_in_row_order() -> None:
    errors = RowErrors()
    errors.add([FieldError("amount", "bad", row=5), FieldError("item", "bad", row=5)])
    errors.add([FieldError("customer_code", "no such customer", row=2)])
    assert errors
    assert errors.bad_rows == 2
    failure = errors.failure()
    assert failure.status == 422
    assert failure.detail == "2 rows failed validation; nothing was stored."
    assert [(e.row, e.field) for e in failure.errors] == [
        (2, "customer_code"),
        (5, "amount"),
        (5, "item"),
    ]


def test_the_list_is_capped_but_the_count_is_not() -> None:
    errors = RowErrors(limit=3)
    for row in range(1, 11):
        errors.add([FieldError("amount", "bad", row=row)])
    failure = errors.failure()
    assert len(failure.errors) == 3
    assert failure.detail == (
        "10 rows failed validation; nothing was stored. Only the first 3 errors are listed."
    )


def test_a_full_list_without_dropped_errors_says_nothing_of_a_cap() -> None:
    errors = RowErrors(limit=1)
    errors.add([FieldError("amount", "bad", row=1)])
    assert errors.failure().detail == "1 row failed validation; nothing was stored."


def test_errors_without_a_row_count_and_come_first() -> None:
    errors = RowErrors()
    errors.add([FieldError("amount", "bad", row=3)])
    errors.add([FieldError("body", "malformed")])
    assert errors
    failure = errors.failure("The upload cannot be read")
    assert failure.detail == "The upload cannot be read; nothing was stored."
    assert [e.row for e in failure.errors] == [None, 3]


def test_a_code_race_is_a_conflict() -> None:
    assert UploadCodeRaceError().status == 409
