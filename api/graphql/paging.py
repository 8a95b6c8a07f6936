"""Connection arguments: REST's page sizes and keyset cursors, under GraphQL's names."""

from __future__ import annotations

from duka.core.errors import FieldError, ValidationFailedError
from duka.core.pagination import DEFAULT_LIMIT, MAX_LIMIT

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "check_first"]


def check_first(first: int) -> int:
    """`first` if within REST's page limits (1..MAX_LIMIT), else BAD_USER_INPUT."""
    if not 1 <= first <= MAX_LIMIT:
        raise ValidationFailedError(
            "The page size is out of range.",
            [FieldError("first", f"must be between 1 and {MAX_LIMIT}", code="out_of_range")],
        )
    return first
