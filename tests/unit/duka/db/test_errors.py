from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy.exc import IntegrityError

from duka.db.errors import FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION, constraint_name, sqlstate


def test_sqlstate_and_constraint_are_read_from_the_driver_error() -> None:
    orig = SimpleNamespace(
        sqlstate=UNIQUE_VIOLATION, diag=SimpleNamespace(constraint_name="uq_customers_code_lower")
    )
    exc = IntegrityError("INSERT", {}, orig)  # type: ignore[arg-type]
    assert sqlstate(exc) == "23505"
    assert constraint_name(exc) == "uq_customers_code_lower"


def test_missing_details_are_none() -> None:
    exc = IntegrityError("INSERT", {}, Exception("no details"))
    assert sqlstate(exc) is None
    assert constraint_name(exc) is None
    assert FOREIGN_KEY_VIOLATION == "23503"
