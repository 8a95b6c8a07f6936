"""One field of an upload row, checked by the very type its single-create schema declares.

Each check wraps a TypeAdapter built from the schema's own field (annotation and
constraints), so an uploaded value passes or fails exactly as it would in
`POST /customers` or `POST /orders`. Uploads repeat values (currencies, item names,
customer codes), so results for text values are memoised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from duka.core.errors import FieldError

# Per field; past it, new values are still checked, just not remembered.
CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a value was refused (a pydantic error message and type)."""

    message: str
    code: str

    def at(self, field: str, row: int) -> FieldError:
        return FieldError(field=field, message=self.message, code=self.code, row=row)


def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    # The field's type with the constraints pydantic moved off it into `metadata`.
    field_type: Any = info.annotation
    if info.metadata:
        field_type = Annotated[field_type, *info.metadata]
    return TypeAdapter(field_type)


def _invalid(exc: ValidationError) -> Invalid:
    first = exc.errors(include_url=False)[0]
    message = str(first["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return Invalid(message, str(first["type"]))


class FieldCheck:
    """`check(raw)` is the validated value, or an `Invalid`; `raw` must not be None."""

    __slots__ = ("_validate", "cache", "name")

    def __init__(self, model: type[BaseModel], name: str) -> None:
        self.name = name
        self._validate = _adapter(model, name).validate_python
        self.cache: dict[str, object] = {}

    def __call__(self, raw: object) -> object:
        if type(raw) is str:
            hit = self.cache.get(raw, _MISS)
            return self.remember(raw) if hit is _MISS else hit
        return self.run(raw)

    def remember(self, raw: str) -> object:
        result = self.run(raw)
        if len(self.cache) < CACHE_SIZE:
            self.cache[raw] = result
        return result

    def run(self, raw: object) -> object:
        try:
            return self._validate(raw)
        except ValidationError as exc:
            return _invalid(exc)


REQUIRED: Any = object()
_MISS: Any = object()
Plan = Sequence[tuple[FieldCheck, object]]  # each field's check and its default (or REQUIRED)


def check_values(
    plan: Plan, raws: Sequence[object], row: int, problems: list[FieldError]
) -> list[Any]:
    """Check a row's values in one loop (the hot path of an upload): each value, or its
    default when not given; faults go to `problems`, with an `Invalid` in the value's place."""
    out: list[Any] = []
    for (check, default), raw in zip(plan, raws, strict=True):
        if raw is None:
            if default is REQUIRED:
                problems.append(missing(check.name, row))
            out.append(default)
            continue
        if type(raw) is str:
            value = check.cache.get(raw, _MISS)
            if value is _MISS:
                value = check.remember(raw)
        else:
            value = check.run(raw)
        if type(value) is Invalid:
            problems.append(value.at(check.name, row))
        out.append(value)
    return out


def missing(field: str, row: int) -> FieldError:
    return FieldError(field=field, message="Field required", code="missing", row=row)
