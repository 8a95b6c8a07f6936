"""Domain exceptions. Services raise these; `api.core.problems` maps them to HTTP once."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One bad value: where it is (a dotted field path, and a row for uploads) and why."""

    field: str
    message: str
    row: int | None = None
    code: str = "invalid"


class DomainError(Exception):
    """Base for expected failures; `slug`, `title` and `status` shape the problem document."""

    slug = "domain-error"
    title = "Request failed"
    status = 400
    # A 401 other than a bearer token's names its scheme here (RFC 9110 WWW-Authenticate).
    challenge: str | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    slug = "not-found"
    title = "Resource not found"
    status = 404


class ConflictError(DomainError):
    slug = "conflict"
    title = "Conflict with the current state"
    status = 409


@dataclass
class ValidationFailedError(DomainError):
    """Input broke a rule that the schema alone cannot express (or an upload's rows did)."""

    detail: str
    errors: list[FieldError] = field(default_factory=list)
    slug = "validation-error"
    title = "Your request is not valid"
    status = 422

    def __post_init__(self) -> None:
        Exception.__init__(self, self.detail)


class IdempotencyKeyReusedError(DomainError):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"
    status = 422


class IdempotencyKeyInFlightError(DomainError):
    slug = "idempotency-key-in-flight"
    title = "A request with this Idempotency-Key is still being processed"
    status = 409


class PayloadTooLargeError(DomainError):
    slug = "payload-too-large"
    title = "Request body too large"
    status = 413


class UnsupportedMediaTypeError(DomainError):
    slug = "unsupported-media-type"
    title = "Unsupported media type"
    status = 415


class ServiceUnavailableError(DomainError):
    slug = "service-unavailable"
    title = "A dependency is unavailable"
    status = 503

    def __init__(self, detail: str, *, retry_after_s: int = 5) -> None:
        super().__init__(detail)
        # Seconds until trying again can help; answered as Retry-After.
        self.retry_after_s = retry_after_s


class AuthenticationError(DomainError):
    """No bearer token, or one the API refuses (answered with an RFC 6750 challenge)."""

    slug = "unauthorized"
    title = "Authentication required"
    status = 401

    def __init__(self, detail: str, *, token_given: bool = True) -> None:
        super().__init__(detail)
        # Without a token the challenge names no error (RFC 6750 section 3.1).
        self.token_given = token_given


class ForbiddenError(DomainError):
    slug = "forbidden"
    title = "Missing permission"
    status = 403


class RateLimitedError(DomainError):
    """Over a rate limit or quota of the caller (duka/limits): 429 with Retry-After."""

    slug = "rate-limited"
    title = "Too many requests"
    status = 429

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s
