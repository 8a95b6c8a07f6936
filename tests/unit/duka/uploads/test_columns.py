"""CSV headers and JSON objects map to the row model's fields, and nothing else."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from duka.core.errors import FieldError, ValidationFailedError
from duka.uploads.columns import Columns, is_blank


class Row(BaseModel):
    code: str | None = None
    name: str
    phone: str
    email: str | None = None


COLUMNS = Columns.of(Row, ("code", "name", "phone", "email"), frozenset({"code", "email"}))


def test_required_columns_are_the_models_plus_the_groups() -> None:
    assert COLUMNS.names == ("code", "name", "phone", "email")
    assert COLUMNS.required == (
        frozenset({"name"}),
        frozenset({"phone"}),
        frozenset({"code", "email"}),
    )


def test_a_model_that_changed_is_refused_at_import() -> None:
    with pytest.raises(TypeError, match="the upload expects"):
        Columns.of(Row, ("code", "name", "phone"))


def test_header_names_ignore_case_and_spaces_and_any_order_is_fine() -> None:
    layout = COLUMNS.csv_layout([" Phone", "NAME ", "email"])
    values, errors = layout.values(["0712", "Jane", ""], row=1)
    assert values == [None, "Jane", "0712", None]
    assert errors == ()


def test_a_record_of_the_wrong_width_is_a_row_error() -> None:
    layout = COLUMNS.csv_layout(["name", "phone", "code"])
    values, errors = layout.values(["Jane", "0712"], row=4)
    assert values is None
    assert errors == [
        FieldError("row", "has 2 values, but the header has 3 columns", row=4, code="column_count")
    ]


def test_every_header_fault_is_listed() -> None:
    with pytest.raises(ValidationFailedError) as caught:
        COLUMNS.csv_layout(["name", "Nmae", "", "name", "code"])
    errors = {(e.field, e.code) for e in caught.value.errors}
    assert errors == {
        ("Nmae", "unknown_column"),
        ("column 3", "unknown_column"),
        ("name", "duplicate_column"),
        ("phone", "missing_column"),
    }
    unknown = next(e for e in caught.value.errors if e.field == "Nmae")
    assert "code, name, phone, email" in unknown.message
    assert all(e.row is None for e in caught.value.errors)


def test_a_missing_group_names_its_alternatives() -> None:
    with pytest.raises(ValidationFailedError) as caught:
        COLUMNS.csv_layout(["name", "phone"])
    [error] = caught.value.errors
    assert (error.field, error.code) == ("code", "missing_column")
    assert error.message == "give a column code or email"


def test_json_objects_give_values_and_unknown_keys_as_errors() -> None:
    values, errors = COLUMNS.object_values({"name": "Jane", "zz": 1, "aa": 2}, row=7)
    assert values == [None, "Jane", None, None]
    assert [(e.field, e.code, e.row) for e in errors] == [
        ("aa", "extra_forbidden", 7),
        ("zz", "extra_forbidden", 7),
    ]


@pytest.mark.parametrize("element", [[1, 2], "x", 3, None])
def test_a_json_element_that_is_not_an_object_is_a_row_error(element: object) -> None:
    values, errors = COLUMNS.object_values(element, row=2)
    assert values is None
    assert [(e.field, e.code, e.row) for e in errors] == [("row", "object_type", 2)]


@pytest.mark.parametrize(
    ("record", "blank"), [([], True), (["", "", ""], True), (["", " "], False), (["x"], False)]
)
def test_blank_records(record: list[str], blank: bool) -> None:
    assert is_blank(record) is blank
