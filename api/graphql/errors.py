"""Domain exceptions → GraphQL errors: the one mapping, beside REST's `api/core/problems.py`.

Every error a client sees carries `extensions.code`, one of `CODES`. Expected failures of a
mutation (validation, not found, conflict) are typed members of its result union
(`api/graphql/payloads.py`); `code_of` decides which, so both paths share this table.
Anything unexpected is logged here with its stack and answered as INTERNAL, without its
text: no stack trace or SQL reaches a client.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from graphql import GraphQLError
from pydantic import ValidationError

from duka.core.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    FieldError,
    ForbiddenError,
    IdempotencyKeyInFlightError,
    IdempotencyKeyReusedError,
    NotFoundError,
    RateLimitedError,
    ServiceUnavailableError,
    ValidationFailedError,
)
from duka.db.errors import is_database_unavailable

log = logging.getLogger(__name__)

Code = Literal[
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "CONFLICT",
    "BAD_USER_INPUT",
    "RATE_LIMITED",
    "INTERNAL",
]
CODES: frozenset[str] = frozenset(Code.__args__)  # type: ignore[attr-defined]

INTERNAL_MESSAGE = "Internal error; it was logged, and no internals are shown."
UNAVAILABLE_MESSAGE = "A dependency is unavailable; try again shortly."
# As REST's 503 for a lost database (api/core/problems.py).
DATABASE_RETRY_AFTER_S = 5

# Field names the domain reports (REST's) that GraphQL names otherwise.
_RENAMED = {"header.Idempotency-Key": "idempotencyKey", "cursor": "after"}
_SNAKE = re.compile(r"_([a-z0-9])")


def graphql_field(name: str) -> str:
    """A domain field path (`customer_code`, `header.Idempotency-Key`) as GraphQL names it."""
    if name in _RENAMED:
        return _RENAMED[name]
    return ".".join(_SNAKE.sub(lambda m: m.group(1).upper(), part) for part in name.split("."))


def code_of(exc: BaseException) -> Code:
    """The GraphQL code of an exception (INTERNAL for anything not a domain error)."""
    if isinstance(exc, AuthenticationError):
        return "UNAUTHENTICATED"
    if isinstance(exc, ForbiddenError):
        return "FORBIDDEN"
    if isinstance(exc, NotFoundError):
        return "NOT_FOUND"
    # REST answers a reused key with 422; for GraphQL it is what it is, a conflict.
    if isinstance(exc, ConflictError | IdempotencyKeyReusedError | IdempotencyKeyInFlightError):
        return "CONFLICT"
    if isinstance(exc, RateLimitedError):
        return "RATE_LIMITED"
    if isinstance(exc, ServiceUnavailableError):
        return "INTERNAL"
    if isinstance(exc, DomainError | ValidationError):
        return "BAD_USER_INPUT"
    return "INTERNAL"


def field_errors(exc: ValidationFailedError | ValidationError) -> list[FieldError]:
    """Every field at fault, named as GraphQL names it (rows of a batch stay rows)."""
    if isinstance(exc, ValidationFailedError):
        return [
            FieldError(graphql_field(e.field), e.message, row=e.row, code=e.code)
            for e in exc.errors
        ]
    out = []
    for err in exc.errors(include_url=False):
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        path = ".".join(str(p) for p in err.get("loc", ())) or "input"
        out.append(FieldError(graphql_field(path), message, code=str(err.get("type", "invalid"))))
    return out


def as_validation_failed(exc: ValidationError) -> ValidationFailedError:
    """A pydantic failure of a GraphQL input as the domain's own validation error."""
    errors = [FieldError(e.field, e.message, code=e.code) for e in field_errors(exc)]
    return ValidationFailedError(f"{len(errors)} field(s) failed validation", errors)


def _extensions(exc: BaseException, code: Code) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": code}
    if isinstance(exc, RateLimitedError | ServiceUnavailableError):
        extensions["retryAfter"] = exc.retry_after_s
    elif is_database_unavailable(exc):
        extensions["retryAfter"] = DATABASE_RETRY_AFTER_S
    if isinstance(exc, ValidationFailedError | ValidationError):
        extensions["fields"] = [
            {"field": e.field, "message": e.message, "code": e.code}
            | ({"index": e.row - 1} if e.row is not None else {})
            for e in field_errors(exc)
        ]
    if isinstance(exc, DomainError):
        extensions["reason"] = exc.slug
    return extensions


def _message(exc: BaseException, code: Code) -> str:
    if isinstance(exc, ServiceUnavailableError) or is_database_unavailable(exc):
        return UNAVAILABLE_MESSAGE
    if isinstance(exc, DomainError):
        return exc.detail
    if isinstance(exc, ValidationError):
        return "The input is not valid."
    return INTERNAL_MESSAGE


def format_error(error: GraphQLError) -> GraphQLError:
    """The error as a client may see it: a code in `extensions`, internals masked."""
    original = error.original_error
    # graphql-core wraps nothing around syntax, validation and coercion errors: they are
    # the client's document or variables at fault, and their messages say where.
    if original is None or isinstance(original, GraphQLError):
        inner = original if isinstance(original, GraphQLError) else None
        if inner is not None and inner.original_error is not None:
            return format_error(inner)
        code: Code = "BAD_USER_INPUT"
        extensions = {**(error.extensions or {}), "code": code}
        return GraphQLError(
            error.message,
            error.nodes,
            error.source,
            error.positions,
            error.path,
            extensions=extensions,
        )
    code = code_of(original)
    if is_database_unavailable(original):
        log.warning("database unavailable: %s", type(original).__name__)
    elif code == "INTERNAL":
        log.error("GraphQL resolver failed at %s", error.path, exc_info=original)
    return GraphQLError(
        _message(original, code),
        error.nodes,
        error.source,
        error.positions,
        error.path,
        extensions=_extensions(original, code),
    )
