"""Who is calling. Every route gets the caller through `get_principal` and nowhere else."""

# No `from __future__ import annotations`: FastAPI resolves a callable object's
# annotations (BearerPrincipal.__call__) without its module globals, so they must be real.
import logging
import re
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.datastructures import State

from api.auth.tokens import TokenVerifier, VerifiedToken
from api.core.errors import AuthenticationError
from api.core.redaction import redact_path
from api.core.settings import Settings
from api.core.types import CODE_PATTERN

log = logging.getLogger(__name__)

ALL_ROLES = frozenset(
    {"customers:read", "customers:write", "orders:read", "orders:write", "admin", "staff"}
)
# The roles that let a login act for the business, on every customer's data.
STAFF_ROLES = frozenset({"staff", "admin"})
BEARER_SCHEME = "bearer"
_CODE = re.compile(CODE_PATTERN)
# Where a request keeps its authenticated caller once known.
_SCOPE_KEY = "duka.principal"


@dataclass(frozen=True)
class Principal:
    # The issuer's `sub`: immutable and unique, for users and service accounts alike; it
    # is what created_by and idempotency keys record (see docs/security.md).
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    # Set for a customer's own login: that principal sees only this customer's data.
    customer_code: str | None = None
    # The OAuth client the token was issued to (`azp`), e.g. duka-ingest.
    client_id: str | None = None

    @property
    def is_staff(self) -> bool:
        """Acts for the business (all customers): needs an explicit staff role, and no
        customer_code (a customer's code narrows any login; its absence never widens one)."""
        return self.customer_code is None and not self.roles.isdisjoint(STAFF_ROLES)

    @property
    def has_scope(self) -> bool:
        """Either a staff login or a customer's own: anything else may act on nothing."""
        return self.customer_code is not None or self.is_staff


def bearer_token_of(request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>` (any case of "Bearer"), else None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def verifier_for(state: State, settings: Settings) -> TokenVerifier:
    """One verifier (and key cache) per application, made on first use."""
    verifier: TokenVerifier | None = getattr(state, "token_verifier", None)
    if verifier is None:
        verifier = TokenVerifier.from_settings(settings)
        state.token_verifier = verifier
    return verifier


def principal_from(token: VerifiedToken) -> Principal:
    code = token.customer_code
    if code is not None and not _CODE.fullmatch(code):
        raise AuthenticationError("The token's customer_code is not a customer code.")
    return Principal(
        subject=token.subject,
        roles=token.roles & ALL_ROLES,
        customer_code=code,
        client_id=token.client_id,
    )


class BearerPrincipal(SecurityBase):
    """The caller named by a valid bearer token, else 401 (503 if keys cannot be had).

    A security scheme itself (as FastAPI's HTTPBearer is), so OpenAPI documents the bearer
    scheme on every route that depends on it, and a request resolves one dependency here
    rather than a chain of them: this runs on every request.
    """

    def __init__(self) -> None:
        self.model = HTTPBearerModel(
            bearerFormat="JWT",
            description="An access token from the Duka realm (see docs/security.md).",
        )
        self.scheme_name = BEARER_SCHEME

    async def __call__(self, request: Request) -> Principal:
        # A route may need the caller twice (its role check and its own parameter).
        known: Principal | None = request.scope.get(_SCOPE_KEY)
        if known is not None:
            return known
        principal = await self._authenticate(request)
        request.scope[_SCOPE_KEY] = principal
        return principal

    async def _authenticate(self, request: Request) -> Principal:
        token = bearer_token_of(request)
        if token is None:
            raise AuthenticationError(
                "This API needs an access token: send Authorization: Bearer <token>.",
                token_given=False,
            )
        state = request.app.state
        try:
            verified = await verifier_for(state, state.settings).verify(token)
        except AuthenticationError as exc:
            path = redact_path(request.url.path)
            log.info("refused a bearer token on %s %s: %s", request.method, path, exc)
            raise
        return principal_from(verified)


get_principal = BearerPrincipal()
