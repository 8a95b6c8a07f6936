"""Every /api/v1 route refuses callers without a valid token (401) or the role (403),
with real tokens from the session's Keycloak and forgeries made from them.

The refusals come before any database work, so they run against one app per module with no
database at all: a route that touched the database before checking the caller would fail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from jwt.algorithms import RSAAlgorithm

from api.main import create_app
from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import (
    DEMO_USERS,
    OPERATOR_CLIENT,
    OPERATOR_SECRET,
    client_credentials_grant,
    password_grant,
)
from duka.core.settings import Settings
from tests.support.api_routes import ALL_API_ROUTES, API_ROUTES, ApiRoute
from tests.support.keycloak import Tokens, claims_of
from tests.support.realm_keys import Mint

pytestmark = pytest.mark.anyio

ClientAs = Callable[[str | None], httpx.AsyncClient]


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


@pytest.fixture(scope="module")
def bad_tokens(
    tokens: Tokens, mint: Mint, impostor_token: str, keycloak: KeycloakServer
) -> dict[str, str]:
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


@pytest.fixture(scope="module")
def guarded_app(keycloak: KeycloakServer) -> FastAPI:
    return create_app(
        Settings(environment="test", oidc_issuer=keycloak.issuer(), oidc_http_timeout_s=30)
    )


@pytest.fixture
async def guarded(guarded_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the database-less app; requests carry the token each test gives."""
    transport = httpx.ASGITransport(app=guarded_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
        yield c


async def send(c: httpx.AsyncClient, route: ApiRoute, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    body: dict[str, Any] | None = {} if route.method in {"POST", "PUT", "PATCH"} else None
    return await c.request(route.method, route.url(), headers=headers, json=body)


def assert_problem(r: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["type"] == f"urn:duka:problem:{slug}"
    return body


def test_the_api_has_routes_and_each_declares_a_role() -> None:
    assert len(API_ROUTES) >= 9
    unguarded = [r.id for r in API_ROUTES if not r.roles]
    assert unguarded == [], "every /api/v1 route needs Depends(require(...))"
    # Provider callbacks authenticate with their secret alone: no roles, no tokens.
    assert all(not r.roles for r in ALL_API_ROUTES if r.callback_secret)


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.id)
async def test_no_token_is_401_with_a_plain_challenge(
    guarded: httpx.AsyncClient, route: ApiRoute
) -> None:
    r = await send(guarded, route, None)
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == 'Bearer realm="duka"'


@pytest.mark.parametrize("kind", BAD_TOKENS)
@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.id)
async def test_a_bad_token_is_401_invalid_token(
    guarded: httpx.AsyncClient, bad_tokens: dict[str, str], route: ApiRoute, kind: str
) -> None:
    r = await send(guarded, route, bad_tokens[kind])
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith(
        'Bearer realm="duka", error="invalid_token", error_description="'
    )


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.id)
async def test_a_valid_token_without_the_role_is_403(
    guarded: httpx.AsyncClient, mint: Mint, route: ApiRoute
) -> None:
    r = await send(guarded, route, mint(roles=["offline_access"], realm_access=None))
    body = assert_problem(r, 403, "forbidden")
    assert r.headers["www-authenticate"] == 'Bearer realm="duka", error="insufficient_scope"'
    assert all(role in body["detail"] for role in route.roles)


@pytest.mark.parametrize("who", ["admin", "clerk", "analyst", "customer", "duka-ingest"])
@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.id)
async def test_real_tokens_pass_exactly_when_their_roles_suffice(
    client_as: ClientAs, tokens: Tokens, route: ApiRoute, who: str
) -> None:
    roles = set(claims_of(tokens.token(who))["roles"])
    r = await send(client_as(who), route, tokens.token(who))
    if "admin" in roles or route.roles <= roles:
        assert r.status_code not in (401, 403), r.text
        assert r.status_code < 500, r.text
    else:
        assert_problem(r, 403, "forbidden")


async def test_the_minting_key_really_signs_accepted_tokens(
    client_as: ClientAs, mint: Mint
) -> None:
    # The forgeries above fail for their one flaw, not because minting is broken.
    r = await client_as(None).get(
        "/api/v1/customers", headers={"Authorization": f"Bearer {mint()}"}
    )
    assert r.status_code == 200, r.text
