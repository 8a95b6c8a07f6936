"""Access-token verification: PyJWT with the issuer's cached public keys, no call per request.

Checks, in this order: a JWT at all; an asymmetric algorithm the issuer advertises and the
key was published for (so `none`, HS256 signed with a public key, and algorithm swaps all
fail); the signature; `iss` exactly; `aud` containing the API; `exp`, `nbf` and `iat` with
a small leeway; `typ` where present (an ID or refresh token is not an access token); `azp`
on the allow-list of clients.

A token that passed is remembered until its `exp` (a client sends the same token for
minutes), so its next requests cost a dictionary look-up instead of an RSA check. The
remembered result is only used while the key that verified it is still the issuer's key for
that `kid`, so a key removed at the issuer stops working exactly as for fresh tokens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from duka.auth import metrics
from duka.auth.keys import ASYMMETRIC_ALGORITHMS, IssuerKeys, VerificationKey
from duka.core.errors import AuthenticationError, ServiceUnavailableError
from duka.core.settings import Settings

# Keycloak writes typ "JWT" in the header and "Bearer" in the payload; RFC 9068 uses at+jwt.
_HEADER_TYPES = frozenset({"jwt", "at+jwt", "application/at+jwt"})
_ACCESS_TOKEN_TYPES = frozenset({"Bearer", "at+jwt"})
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
# Far above any real access token; refuses to parse megabytes sent as a "token".
MAX_TOKEN_CHARS = 16_384


@dataclass(frozen=True)
class VerifiedToken:
    subject: str
    roles: frozenset[str]
    customer_code: str | None
    client_id: str | None
    claims: dict[str, Any]


@dataclass(frozen=True)
class _Remembered:
    verified: VerifiedToken
    kid: str | None
    alg: str
    key: VerificationKey
    expires_at: float


def _roles(claims: dict[str, Any]) -> frozenset[str]:
    # The realm maps roles to a flat `roles` claim; plain Keycloak realms only have
    # realm_access.roles, which is read when the flat claim is absent.
    roles = claims.get("roles")
    if roles is None:
        realm_access = claims.get("realm_access")
        roles = realm_access.get("roles") if isinstance(realm_access, dict) else None
    if not isinstance(roles, list):
        return frozenset()
    return frozenset(r for r in roles if isinstance(r, str))


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        leeway_s: float,
        keys: IssuerKeys,
        allowed_clients: frozenset[str],
        cache_size: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.allowed_clients = allowed_clients
        self.audience = audience
        self.leeway_s = leeway_s
        self.keys = keys
        self._cache_size = cache_size
        self._clock = clock
        # Insertion-ordered: when full, the oldest entry goes first.
        self._remembered: dict[str, _Remembered] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> TokenVerifier:
        issuer = settings.oidc_issuer_url
        keys = IssuerKeys(
            issuer,
            timeout_s=settings.oidc_http_timeout_s,
            ttl_s=settings.oidc_jwks_ttl_s,
            min_refresh_s=settings.oidc_jwks_min_refresh_s,
            transport=transport,
        )
        return cls(
            issuer=issuer,
            audience=settings.oidc_audience,
            leeway_s=settings.oidc_leeway_s,
            keys=keys,
            allowed_clients=frozenset(settings.oidc_allowed_clients),
            cache_size=settings.oidc_token_cache_size,
        )

    async def verify(self, token: str) -> VerifiedToken:
        try:
            verified = await self._verify(token)
        except AuthenticationError:
            metrics.TOKEN_INVALID.inc()
            raise
        except ServiceUnavailableError:
            metrics.TOKEN_UNAVAILABLE.inc()
            raise
        return verified

    async def _verify(self, token: str) -> VerifiedToken:
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthenticationError("The bearer token is too long.")
        remembered = self._remembered.get(token)
        # No leeway here: a token near its end takes the full check, which applies it.
        if remembered is not None and self._clock() < remembered.expires_at:
            try:
                # Refreshes stale keys and refuses a kid the issuer no longer publishes.
                key = await self.keys.key_for(remembered.kid, remembered.alg)
            except AuthenticationError:
                self._remembered.pop(token, None)
                raise
            if key is remembered.key:
                metrics.TOKEN_CACHED.inc()
                return remembered.verified
        if remembered is not None:
            self._remembered.pop(token, None)
        return await self._verify_fully(token)

    async def _verify_fully(self, token: str) -> VerifiedToken:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError("The bearer token is not a well-formed JWT.") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS:
            raise AuthenticationError("The token's signing algorithm is not accepted.")
        if alg not in self.keys.accepted_algorithms:
            raise AuthenticationError("The issuer does not sign with the token's algorithm.")
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in _HEADER_TYPES):
            raise AuthenticationError("The token is not an access token.")
        # PyJWT has already refused a kid that is not a string.
        kid = header.get("kid")
        key = await self.keys.key_for(kid, alg)
        claims = self._decode(token, key.key, alg)
        if "typ" in claims and claims["typ"] not in _ACCESS_TOKEN_TYPES:
            raise AuthenticationError("The token is not an access token.")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise AuthenticationError("The token's subject is empty.")
        customer_code = claims.get("customer_code")
        if customer_code is not None and not isinstance(customer_code, str):
            # Fail closed: a customer's token must never read as a staff token.
            raise AuthenticationError("The token's customer_code claim is malformed.")
        client_id = claims.get("azp")
        if not isinstance(client_id, str) or client_id not in self.allowed_clients:
            # `aud` says the token is for this API; `azp` says which client asked for it.
            # A client outside the list (one the operator made, one without our mappers)
            # is refused rather than read by whatever claims it happens to carry.
            raise AuthenticationError("The token was issued to a client this API does not accept.")
        verified = VerifiedToken(
            subject=subject,
            roles=_roles(claims),
            customer_code=customer_code,
            client_id=client_id,
            claims=claims,
        )
        self._remember(token, verified, kid, alg, key)
        metrics.TOKEN_VALID.inc()
        return verified

    def _remember(
        self, token: str, verified: VerifiedToken, kid: str | None, alg: str, key: VerificationKey
    ) -> None:
        exp = verified.claims.get("exp")
        if self._cache_size <= 0 or not isinstance(exp, int | float):
            return
        while len(self._remembered) >= self._cache_size:
            del self._remembered[next(iter(self._remembered))]
        self._remembered[token] = _Remembered(verified, kid, alg, key, float(exp))

    def _decode(self, token: str, key: Any, alg: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("The token has expired.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthenticationError("The token is not valid yet.") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationError("The token is not meant for this API.") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationError("The token comes from another issuer.") from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError("The token's signature does not verify.") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise AuthenticationError(f"The token lacks the {exc.claim} claim.") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError("The token is not valid.") from exc
        return claims
