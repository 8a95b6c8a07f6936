"""Forged and misused tokens for the token attack matrix of REST and GraphQL alike: each
is refused for one flaw (a real token changed one way, or a real token of the wrong kind)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import (
    DEMO_USERS,
    OPERATOR_CLIENT,
    OPERATOR_SECRET,
    client_credentials_grant,
    password_grant,
)
from tests.support.keycloak import Tokens
from tests.support.realm_keys import Mint


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def tampered_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(unb64(payload))
    claims["sub"] = "someone-else"
    claims["roles"] = ["admin"]
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def tampered_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    raw = bytearray(unb64(signature))
    raw[len(raw) // 2] ^= 0x01
    return f"{header}.{payload}.{b64(bytes(raw))}"


def alg_none(token: str) -> str:
    _, payload, _ = token.split(".")
    return f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{payload}."


def hs256_with_public_key(token: str, keycloak: KeycloakServer) -> str:
    """HMAC-signed with the realm's real public key as the secret (algorithm confusion)."""
    header = json.loads(unb64(token.split(".")[0]))
    jwks = httpx.get(f"{keycloak.issuer()}/protocol/openid-connect/certs", timeout=60).json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public_key = RSAAlgorithm.from_jwk(jwk)
    pem = public_key.public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged_header = {"alg": "HS256", "typ": "JWT", "kid": header["kid"]}
    signing_input = f"{b64(json.dumps(forged_header).encode())}.{token.split('.')[1]}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


BAD_TOKENS = [
    "malformed",
    "expired",
    "not_yet_valid",
    "wrong_issuer",
    "wrong_audience",
    "tampered_payload",
    "tampered_signature",
    "alg_none",
    "hs256_public_key",
    "id_token",
    "refresh_token",
]


def make_bad_tokens(
    tokens: Tokens, mint: Mint, impostor_token: str, keycloak: KeycloakServer
) -> dict[str, str]:
    """One token per kind in BAD_TOKENS."""
    real = tokens.user("admin")
    now = int(time.time())
    admin = DEMO_USERS["admin"]
    answer = password_grant(keycloak.issuer(), admin.username, admin.password)
    operator = client_credentials_grant(keycloak.issuer(), OPERATOR_CLIENT, OPERATOR_SECRET)
    return {
        "malformed": "not-a-jwt",
        "expired": mint(iat=now - 900, exp=now - 600),
        "not_yet_valid": mint(nbf=now + 600),
        "wrong_issuer": impostor_token,
        "wrong_audience": str(operator["access_token"]),  # a real token for Keycloak's API
        "tampered_payload": tampered_payload(real),
        "tampered_signature": tampered_signature(real),
        "alg_none": alg_none(real),
        "hs256_public_key": hs256_with_public_key(real, keycloak),
        "id_token": str(answer["id_token"]),
        "refresh_token": str(answer["refresh_token"]),
    }
