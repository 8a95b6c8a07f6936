"""Who is calling. Every route gets the caller through `get_principal` and nowhere else."""

# No `from __future__ import annotations`: FastAPI resolves a callable object's
# annotations (BearerPrincipal.__call__) without its module globals, so they must be real.
import logging

from fastapi import Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.datastructures import State

from duka.auth.principal import Principal, principal_from
from duka.auth.tokens import TokenVerifier
from duka.core.errors import AuthenticationError
from duka.core.redaction import redact_path
from duka.core.settings import Settings

log = logging.getLogger(__name__)

BEARER_SCHEME = "bearer"
# Where a request keeps its authenticated caller once known.
_SCOPE_KEY = "duka.principal"


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
