"""Who is calling. Every route gets the caller through `get_principal` and nowhere else."""

# No `from __future__ import annotations`: FastAPI resolves a callable object's
# annotations (BearerToken.__call__) without its module globals, so they must be real.
import logging
import re
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.datastructures import State

from api.auth.tokens import TokenVerifier, VerifiedToken
from api.core.errors import AuthenticationError
from api.core.settings import Settings, app_settings
from api.core.types import CODE_PATTERN

log = logging.getLogger(__name__)

ALL_ROLES = frozenset({"customers:read", "customers:write", "orders:read", "orders:write", "admin"})
BEARER_SCHEME = "bearer"
_CODE = re.compile(CODE_PATTERN)


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


class BearerToken(SecurityBase):
    """Reads `Authorization: Bearer <token>`, and documents the scheme in OpenAPI."""

    def __init__(self) -> None:
        self.model = HTTPBearerModel(
            bearerFormat="JWT",
            description="An access token from the Duka realm (see docs/security.md).",
        )
        self.scheme_name = BEARER_SCHEME

    async def __call__(self, request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()


bearer_token = BearerToken()


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


async def get_principal(
    request: Request,
    settings: Annotated[Settings, Depends(app_settings)],
    token: Annotated[str | None, Depends(bearer_token)],
) -> Principal:
    """The caller named by a valid bearer token, else 401 (503 if keys cannot be had)."""
    if token is None:
        raise AuthenticationError(
            "This API needs an access token: send Authorization: Bearer <token>.",
            token_given=False,
        )
    try:
        verified = await verifier_for(request.app.state, settings).verify(token)
    except AuthenticationError as exc:
        log.info("refused a bearer token on %s %s: %s", request.method, request.url.path, exc)
        raise
    return principal_from(verified)
