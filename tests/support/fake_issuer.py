"""An in-memory OpenID issuer for unit tests: discovery, a JWKS, and tokens signed with
keys generated here (cryptography), served through httpx.MockTransport (no network)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://sso.example.test/realms/duka"
AUDIENCE = "duka-api"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: PrivateKey, kid: str | None, **extra: Any) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    if kid is not None:
        jwk["kid"] = kid
    jwk.update(extra)
    return jwk


def claims(**overrides: Any) -> dict[str, Any]:
    """The claims of a valid access token for a clerk, changed by `overrides`
    (a value of None removes the claim)."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": [AUDIENCE, "account"],
        "sub": "0b6f3d0e-1111-4a4a-9a9a-clerk0000001",
        "azp": "duka-cli",
        "typ": "Bearer",
        "iat": now,
        "exp": now + 300,
        "roles": ["customers:read", "orders:read", "staff", "offline_access"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(
    payload: dict[str, Any],
    key: PrivateKey,
    kid: str | None,
    alg: str = "RS256",
    typ: str | None = "JWT",
) -> str:
    headers: dict[str, Any] = {"typ": typ} if typ is not None else {}
    if kid is not None:
        headers["kid"] = kid
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


@dataclass
class FakeIssuer:
    issuer: str = ISSUER
    keys: list[dict[str, Any]] = field(default_factory=list)
    algorithms: list[str] = field(
        default_factory=lambda: ["RS256", "PS256", "ES256", "HS256", "RS512"]
    )
    metadata_issuer: str | None = None  # when set, the discovery document names this issuer
    down: bool = False
    requests: list[str] = field(default_factory=list)

    def add(self, key: PrivateKey, kid: str | None, **extra: Any) -> None:
        self.keys.append(public_jwk(key, kid, **extra))

    def remove(self, kid: str) -> None:
        self.keys = [k for k in self.keys if k.get("kid") != kid]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(
                200,
                json={
                    "issuer": self.metadata_issuer or self.issuer,
                    "jwks_uri": f"{self.issuer}/protocol/openid-connect/certs",
                    "id_token_signing_alg_values_supported": self.algorithms,
                },
            )
        if request.url.path.endswith("/certs"):
            return httpx.Response(200, json={"keys": self.keys})
        return httpx.Response(404)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fetches(self, what: str = "/certs") -> int:
        return sum(1 for path in self.requests if path.endswith(what))
