"""RFC 9457 problem details: the one place where exceptions become HTTP answers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from duka.core import log_context
from duka.core.errors import (
    AuthenticationError,
    DomainError,
    FieldError,
    ForbiddenError,
    RateLimitedError,
    ServiceUnavailableError,
    ValidationFailedError,
)
from duka.core.redaction import redact_path
from duka.db.errors import is_database_unavailable

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:duka:problem:"


class ProblemFieldError(BaseModel):
    field: str = Field(description="Dotted path of the value at fault, e.g. `amount`.")
    message: str
    code: str = Field(description="Machine-readable reason, e.g. `missing`, `too_long`.")
    row: int | None = Field(default=None, description="1-based data row, for uploads.")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=["urn:duka:problem:validation-error"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemFieldError] | None = None
    request_id: str | None = Field(
        default=None,
        description="The request's id (also its `X-Request-ID` header): what its log lines "
        "carry, to quote when reporting a problem.",
    )


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": redact_path(request.url.path),
    }
    request_id = log_context.get("request_id")
    if request_id is not None:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = [
            {"field": e.field, "message": e.message, "code": e.code}
            | ({"row": e.row} if e.row is not None else {})
            for e in errors
        ]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: Sequence[int | str]) -> str:
    # FastAPI prefixes the source ("body", "query", ...); clients think in field names.
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def request_validation_errors(exc: RequestValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid value"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        code = str(err.get("type", "invalid"))
        loc = tuple(err.get("loc", ()))
        field = _field_path(loc)
        if code == "json_invalid":
            # FastAPI puts the character offset where a field name belongs; the fault is in
            # the body as a whole.
            reason = (err.get("ctx") or {}).get("error", "invalid syntax")
            where = f" at character {loc[1]}" if len(loc) > 1 else ""
            message = f"the body is not valid JSON: {reason}{where}"
            field = "body"
        out.append(FieldError(field=field, message=message, code=code))
    return out


AUTH_REALM = "duka"
# FastAPI's words when a body cannot even be decoded (e.g. JSON that is not UTF-8).
_UNPARSABLE_BODY = "There was an error parsing the body"
_UNREADABLE_BODY = FieldError(
    field="body",
    message="the body cannot be decoded: send JSON as UTF-8",
    code="body_unreadable",
)


def _challenge_text(text: str) -> str:
    # RFC 6750 allows printable ASCII except the double quote and the backslash.
    return "".join(c for c in text if " " <= c <= "~" and c not in '"\\')


def _domain_headers(exc: DomainError) -> dict[str, str] | None:
    if isinstance(exc, ServiceUnavailableError | RateLimitedError):
        return {"Retry-After": str(exc.retry_after_s)}
    if isinstance(exc, AuthenticationError):
        challenge = f'Bearer realm="{AUTH_REALM}"'
        if exc.token_given:
            challenge += (
                f', error="invalid_token", error_description="{_challenge_text(exc.detail)}"'
            )
        return {"WWW-Authenticate": challenge}
    if isinstance(exc, ForbiddenError):
        return {"WWW-Authenticate": f'Bearer realm="{AUTH_REALM}", error="insufficient_scope"'}
    if exc.challenge is not None:
        return {"WWW-Authenticate": exc.challenge}
    return None


def install(app: FastAPI) -> None:
    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        errors = exc.errors if isinstance(exc, ValidationFailedError) else None
        return problem_response(
            request,
            status=exc.status,
            slug=exc.slug,
            title=exc.title,
            detail=exc.detail,
            errors=errors,
            headers=_domain_headers(exc),
        )

    async def on_request_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = request_validation_errors(exc)
        return problem_response(
            request,
            status=422,
            slug="validation-error",
            title="Your request is not valid",
            detail=f"{len(errors)} field(s) failed validation",
            errors=errors,
        )

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
            return problem_response(
                request,
                status=400,
                slug="malformed-body",
                title="The body cannot be read",
                detail="The body is not text in the declared media type.",
                errors=[_UNREADABLE_BODY],
            )
        slug = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
            exc.status_code, "http-error"
        )
        return problem_response(
            request,
            status=exc.status_code,
            slug=slug,
            title=str(exc.detail),
            detail=str(exc.detail),
            headers=exc.headers,
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_database_unavailable(exc):
            log.warning("database unavailable: %s", type(exc).__name__)
            return problem_response(
                request,
                status=503,
                slug="service-unavailable",
                title="The database is unavailable",
                detail="Try again shortly.",
                headers={"Retry-After": "5"},
            )
        log.exception("unhandled error on %s %s", request.method, redact_path(request.url.path))
        return problem_response(
            request,
            status=500,
            slug="internal-error",
            title="Internal server error",
            detail="The error was logged; no internals are shown.",
        )

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(DBAPIError, on_unexpected)
    app.add_exception_handler(PoolTimeoutError, on_unexpected)
    app.add_exception_handler(psycopg.OperationalError, on_unexpected)
    app.add_exception_handler(Exception, on_unexpected)
