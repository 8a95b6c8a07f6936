"""Which values an upload row may hold, and how CSV records and JSON objects map to them.

Both formats become the same thing: a list of raw values in the order of `Columns.names`
(None where the row gives nothing), which the row validators read by position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from pydantic import BaseModel

from duka.core.errors import FieldError, ValidationFailedError

RawValues = list[object]
NO_ERRORS: tuple[FieldError, ...] = ()


def _header_problem(errors: list[FieldError]) -> ValidationFailedError:
    return ValidationFailedError("The CSV header is not valid; nothing was stored.", errors)


@dataclass(frozen=True)
class Columns:
    """The row model's fields (the only names allowed) and the groups that must be given."""

    names: tuple[str, ...]
    required: tuple[frozenset[str], ...]
    known: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "known", frozenset(self.names))

    @classmethod
    def of(
        cls, model: type[BaseModel], expected: tuple[str, ...], *one_of: frozenset[str]
    ) -> Columns:
        """The model's fields, which must be `expected` (the order the row validator reads
        them in); its required ones, plus groups of which one is enough."""
        fields = model.model_fields
        if tuple(fields) != expected:
            # Fails at import: a schema change must be mirrored by the upload validator.
            raise TypeError(
                f"{model.__name__} fields are {tuple(fields)}, the upload expects {expected}"
            )
        required = tuple(frozenset({n}) for n, f in fields.items() if f.is_required())
        return cls(expected, required + one_of)

    def csv_layout(self, header: Sequence[str]) -> CsvLayout:
        """Map a header to positions; any unknown, unnamed, repeated or missing column is fatal."""
        errors: list[FieldError] = []
        position: dict[str, int] = {}
        for i, cell in enumerate(header):
            name = cell.strip().lower()
            if not name:
                errors.append(_column_error(f"column {i + 1}", "has no name", "unknown_column"))
            elif name not in self.known:
                expected = ", ".join(self.names)
                message = f"unknown column (the columns are: {expected})"
                errors.append(_column_error(cell, message, "unknown_column"))
            elif name in position:
                errors.append(_column_error(cell, "appears more than once", "duplicate_column"))
            else:
                position[name] = i
        for group in self.required:
            if not group & position.keys():
                errors.append(_missing(group))
        if errors:
            raise _header_problem(errors)
        # Absent columns read an always-empty cell appended after the record's own.
        width = len(header)
        return CsvLayout([position.get(n, width) for n in self.names], width)

    def object_values(
        self, value: object, row: int
    ) -> tuple[RawValues | None, Sequence[FieldError]]:
        """A JSON element's values, and errors for its shape (not an object, unknown keys)."""
        if not isinstance(value, dict):
            message = "must be a JSON object with the row's fields"
            return None, [FieldError("row", message, row=row, code="object_type")]
        errors: Sequence[FieldError] = NO_ERRORS
        unknown = value.keys() - self.known
        if unknown:
            errors = [
                FieldError(str(k), "unknown field", row=row, code="extra_forbidden")
                for k in sorted(unknown, key=str)
            ]
        return [value.get(n) for n in self.names], errors


def _column_error(name: str, message: str, code: str) -> FieldError:
    return FieldError(field=name, message=message, code=code)


def _missing(group: frozenset[str]) -> FieldError:
    names = sorted(group)
    if len(names) == 1:
        return _column_error(names[0], "required column is missing", "missing_column")
    alternatives = " or ".join(names)
    return _column_error(names[0], f"give a column {alternatives}", "missing_column")


class CsvLayout:
    """Reads a CSV record's cells into the Columns order; an empty cell is a value not given."""

    def __init__(self, positions: list[int], width: int) -> None:
        self.width = width
        self._pick = itemgetter(*positions)

    def values(self, record: list[str], row: int) -> tuple[RawValues | None, Sequence[FieldError]]:
        if len(record) != self.width:
            message = f"has {len(record)} values, but the header has {self.width} columns"
            return None, [FieldError("row", message, row=row, code="column_count")]
        record.append("")
        return [cell or None for cell in self._pick(record)], NO_ERRORS


def is_blank(record: list[str]) -> bool:
    """An empty line, or a row of empty cells as spreadsheets export: skipped, not an error."""
    return not any(record)
