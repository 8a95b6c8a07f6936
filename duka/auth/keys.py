"""The issuer's signing keys: discovered once, cached, fetched again when they rotate.

Nothing here runs per request unless the cache is stale or a token names a key id that
the cache lacks. A slow or unreachable issuer must not stall the API, so:

- at most one fetch is in flight per worker; every request that needs its result awaits
  that one fetch, and the fetch as a whole (discovery and JWKS) ends after the timeout;
- keys in hand keep being served while a scheduled refresh runs, and after it fails;
- unknown key ids trigger at most one fetch per `min_refresh_s` (forged key ids cannot
  flood the issuer);
- a request that needs a key the cache lacks while the issuer cannot be reached gets 503
  with Retry-After at once, or after the one fetch in flight, never after a queue of them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from duka.auth import metrics
from duka.core.errors import AuthenticationError, ServiceUnavailableError

log = logging.getLogger(__name__)

# Signatures only with public keys: `none` and the HMAC family (HS*) never verify here,
# whatever a token or the issuer's metadata says.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_RSA = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_EC_BY_CURVE = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
# While the issuer cannot be reached, try again at most this often.
_RETRY_GAP_S = 1.0


@dataclass(frozen=True)
class VerificationKey:
    kid: str | None
    key: Any  # a `cryptography` public key object, ready for jwt.decode
    algorithms: frozenset[str]


def _algorithms_for(jwk: Mapping[str, Any]) -> frozenset[str]:
    alg = jwk.get("alg")
    if isinstance(alg, str):
        return frozenset({alg})
    kty = jwk.get("kty")
    if kty == "RSA":
        return _RSA
    if kty == "EC" and jwk.get("crv") in _EC_BY_CURVE:
        return frozenset({_EC_BY_CURVE[jwk["crv"]]})
    if kty == "OKP":
        return frozenset({"EdDSA"})
    return frozenset()


def parse_jwks(document: Any, accepted: frozenset[str]) -> dict[str | None, VerificationKey]:
    """Signature keys by key id; keys for encryption or other algorithms are left out."""
    keys: dict[str | None, VerificationKey] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("the JWKS document has no `keys` list")
    for jwk in entries:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        algorithms = _algorithms_for(jwk) & accepted
        if not algorithms:
            continue
        kid = jwk.get("kid")
        try:
            prepared = jwt.PyJWK(jwk, algorithm=min(algorithms)).key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
            log.warning("ignoring an unusable key %r from the issuer: %s", kid, exc)
            continue
        keys[kid if isinstance(kid, str) else None] = VerificationKey(
            kid=kid if isinstance(kid, str) else None, key=prepared, algorithms=algorithms
        )
    return keys


class IssuerKeys:
    def __init__(
        self,
        issuer: str,
        *,
        timeout_s: float,
        ttl_s: float,
        min_refresh_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self._timeout_s = timeout_s
        self._ttl_s = ttl_s
        self._min_refresh_s = min_refresh_s
        self._transport = transport
        self._clock = clock
        self._keys: dict[str | None, VerificationKey] = {}
        self._jwks_uri: str | None = None
        self._accepted = ASYMMETRIC_ALGORITHMS
        self._fetched_at: float | None = None
        # After a failed fetch, no other starts before this time (the Retry-After basis).
        self._retry_at = float("-inf")
        self._last_failed = False
        self._unknown_kid_fetch_at = float("-inf")
        self._inflight: asyncio.Task[bool] | None = None

    @property
    def accepted_algorithms(self) -> frozenset[str]:
        return self._accepted

    @property
    def fetching(self) -> bool:
        """Whether a fetch is in flight (on this loop: a test's closed loop does not count)."""
        task = self._inflight
        return (
            task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop()
        )

    async def settled(self) -> None:
        """Returns once the fetch in flight, if any, has ended (whatever its outcome)."""
        if self.fetching:
            assert self._inflight is not None
            await asyncio.shield(self._inflight)

    async def key_for(self, kid: str | None, alg: str) -> VerificationKey:
        """The key that must have signed a token with this header, or AuthenticationError
        (ServiceUnavailableError when that cannot be known because the issuer is away)."""
        if self._fetched_at is None:
            await self._fetch_and_wait()  # nothing in hand: every request needs the issuer
        elif self._clock() - self._fetched_at >= self._ttl_s:
            self._start_fetch()  # serve what is in hand meanwhile
        key = self._find(kid)
        if key is None:
            # A new key id is how rotation looks from here: fetch once, then decide.
            await self._fetch_for_unknown_kid()
            key = self._find(kid)
        if key is None:
            raise AuthenticationError(
                "The token was signed with a key the issuer does not publish."
            )
        if alg not in key.algorithms:
            raise AuthenticationError("The token's algorithm does not match its signing key.")
        return key

    def _find(self, kid: str | None) -> VerificationKey | None:
        if kid is not None:
            return self._keys.get(kid)
        # A token without a key id is only unambiguous when the issuer has a single key.
        return next(iter(self._keys.values())) if len(self._keys) == 1 else None

    async def _fetch_for_unknown_kid(self) -> None:
        if self.fetching:
            await self._wait()
            return
        # Keys fetched a moment ago, for whatever reason, are as good as a new fetch.
        last = max(self._unknown_kid_fetch_at, self._fetched_at or float("-inf"))
        wait_s = last + self._min_refresh_s - self._clock()
        if wait_s > 0:
            if self._last_failed:
                # Whether the issuer publishes the key is unknown: not a 401.
                raise self._unavailable(wait_s)
            return  # the keys were fetched a moment ago: the key id is not the issuer's
        self._unknown_kid_fetch_at = self._clock()
        await self._fetch_and_wait()

    async def _fetch_and_wait(self) -> None:
        if not self.fetching:
            wait_s = self._retry_at - self._clock()
            if wait_s > 0:
                raise self._unavailable(wait_s)
            self._start_fetch()
        await self._wait()

    async def _wait(self) -> None:
        assert self._inflight is not None
        # Shielded: a request that gives up (client gone) must not cancel the shared fetch.
        if not await asyncio.shield(self._inflight):
            raise self._unavailable(self._retry_at - self._clock())

    def _start_fetch(self) -> None:
        """Start the one fetch of this worker, unless one runs or a failure is too recent."""
        if self.fetching or self._clock() < self._retry_at:
            return
        self._inflight = asyncio.get_running_loop().create_task(self._fetch_once())

    async def _fetch_once(self) -> bool:
        try:
            # One deadline for the whole fetch: httpx's timeout is per read, so an issuer
            # that drips bytes (or a transport without timeouts) would outlast it.
            async with asyncio.timeout(self._timeout_s):
                keys = await self._fetch()
        except (httpx.HTTPError, ValueError, TimeoutError) as exc:
            log.warning("fetching the signing keys of %s failed: %s", self.issuer, exc or type(exc))
            metrics.KEY_FETCH_ERROR.inc()
            return self._failed()
        except Exception:  # a background task has no caller to raise to
            log.exception("fetching the signing keys of %s failed", self.issuer)
            metrics.KEY_FETCH_ERROR.inc()
            return self._failed()
        metrics.KEY_FETCH_OK.inc()
        self._keys = keys
        self._fetched_at = self._clock()
        self._last_failed = False
        self._retry_at = float("-inf")
        return True

    def _failed(self) -> bool:
        self._last_failed = True
        self._retry_at = self._clock() + _RETRY_GAP_S
        return False

    @staticmethod
    def _unavailable(wait_s: float) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            "The identity provider cannot be reached to check this token; try again shortly.",
            retry_after_s=max(1, math.ceil(wait_s)),
        )

    async def _fetch(self) -> dict[str | None, VerificationKey]:
        async with httpx.AsyncClient(
            timeout=self._timeout_s, transport=self._transport, follow_redirects=False
        ) as http:
            if self._jwks_uri is None:
                self._discover(
                    await _get_json(http, f"{self.issuer}/.well-known/openid-configuration")
                )
            assert self._jwks_uri is not None
            return parse_jwks(await _get_json(http, self._jwks_uri), self._accepted)

    def _discover(self, metadata: Any) -> None:
        if not isinstance(metadata, dict):
            raise ValueError("the discovery document is not a JSON object")
        if metadata.get("issuer") != self.issuer:
            # OpenID Connect Discovery 1.0, section 4.3: the issuer must match exactly.
            raise ValueError(f"the discovery document names issuer {metadata.get('issuer')!r}")
        jwks_uri = metadata.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise ValueError("the discovery document has no usable jwks_uri")
        advertised = metadata.get("id_token_signing_alg_values_supported")
        if isinstance(advertised, list) and advertised:
            self._accepted = ASYMMETRIC_ALGORITHMS & {a for a in advertised if isinstance(a, str)}
        self._jwks_uri = jwks_uri


async def _get_json(http: httpx.AsyncClient, url: str) -> Any:
    response = await http.get(url, headers={"Accept": "application/json"})
    response.raise_for_status()
    return response.json()
