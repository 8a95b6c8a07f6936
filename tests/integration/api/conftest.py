"""Helpers for the API integration tests: apps with changed settings, and quick factories."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from api.main import create_app
from devtools.keycloak import REALM_DIR, KeycloakServer
from devtools.keycloak_api import AdminApi, password_grant
from duka.core.redaction import redact_path
from duka.core.settings import Settings
from duka.db.engine import Database
from tests.support.bad_tokens import make_bad_tokens
from tests.support.keycloak import Tokens, claims_of
from tests.support.realm_keys import Mint, RealmKey, add_rsa_key, remove_key_provider

# Real-Keycloak fixtures for the token tests of REST (auth/) and GraphQL (graphql/): a
# signing key of our own in the realm (to mint expired or not-yet-valid tokens that
# Keycloak would never issue), and a second realm of the same server (real tokens from the
# wrong issuer).
IMPOSTOR_REALM = "duka-impostor"

JsonObject = dict[str, Any]


class ClientFactory(Protocol):
    def __call__(self, **overrides: Any) -> httpx.AsyncClient: ...


@pytest.fixture
async def client_for(
    settings: Settings, db: Database, tokens: Tokens
) -> AsyncIterator[ClientFactory]:
    """Clients (sending the demo admin's token, like `client`) for apps built with changed
    settings, on the same (emptied) test database."""
    made: list[httpx.AsyncClient] = []

    def make(**overrides: Any) -> httpx.AsyncClient:
        app = create_app(settings.model_copy(update=overrides))
        app.state.db = db
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        c = httpx.AsyncClient(
            transport=transport, base_url="http://duka.test", auth=tokens.auth("admin")
        )
        made.append(c)
        return c

    yield make
    for c in made:
        await c.aclose()


@pytest.fixture
def new_customer(client: httpx.AsyncClient) -> Callable[..., Awaitable[JsonObject]]:
    """POST a customer (defaults fill what is not given) and return its JSON."""

    async def make(**fields: Any) -> JsonObject:
        body = {"name": "Jane Wanjiku", "phone": "0712345678", **fields}
        r = await client.post("/api/v1/customers", json=body)
        assert r.status_code == 201, r.text
        data: JsonObject = r.json()
        return data

    return make


@pytest.fixture
def new_order(client: httpx.AsyncClient) -> Callable[..., Awaitable[JsonObject]]:
    """POST an order for a customer id (defaults fill what is not given) and return its JSON."""

    async def make(customer_id: str, **fields: Any) -> JsonObject:
        body = {"customer_id": customer_id, "item": "Maize flour 2kg", "amount": "10", **fields}
        r = await client.post("/api/v1/orders", json=body)
        assert r.status_code == 201, r.text
        data: JsonObject = r.json()
        return data

    return make


@pytest.fixture
def count_rows(db: Database) -> Callable[[str], Awaitable[int]]:
    """Rows in one of the service's tables, read directly from the database."""
    allowed = {"customers", "orders", "notifications", "idempotency_keys"}

    async def count(table: str) -> int:
        assert table in allowed
        async with db.autocommit() as conn:
            n = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
        return int(n)

    return count


class ProblemCheck(Protocol):
    def __call__(self, r: httpx.Response, status: int, slug: str) -> JsonObject: ...


def _check_problem(r: httpx.Response, status: int, slug: str) -> JsonObject:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: JsonObject = r.json()
    assert body["type"] == f"urn:duka:problem:{slug}"
    assert body["status"] == status
    assert body["title"]
    # A callback secret in the path is never echoed (duka/core/redaction.py).
    assert body["instance"] == redact_path(r.request.url.path)
    return body


@pytest.fixture
def problem() -> ProblemCheck:
    """Assert that a response is the RFC 9457 problem document given; return its body."""
    return _check_problem


@pytest.fixture(scope="session")
def minting_key(keycloak_admin: AdminApi) -> Iterator[RealmKey]:
    # Lowest priority: published in the realm's JWKS, never used by Keycloak to sign.
    key = add_rsa_key(keycloak_admin, "duka-tests-minting", priority=1)
    yield key
    remove_key_provider(keycloak_admin, key.component_id)


@pytest.fixture(scope="session")
def mint(minting_key: RealmKey, keycloak: KeycloakServer, tokens: Tokens) -> Mint:
    """Sign claims with the realm's test key: a copy of the admin's real claims, changed by
    keyword arguments (None removes a claim); `header=` adds header fields."""
    template = claims_of(tokens.user("admin"))

    def make(*, header: dict[str, Any] | None = None, **changes: Any) -> str:
        now = int(time.time())
        payload = template | {"iat": now, "exp": now + 300, "iss": keycloak.issuer()} | changes
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(
            payload,
            minting_key.private_key,
            algorithm="RS256",
            headers={"kid": minting_key.kid, "typ": "JWT", **(header or {})},
        )

    return make


@pytest.fixture(scope="session")
def impostor_token(keycloak: KeycloakServer, keycloak_admin: AdminApi) -> str:
    """A real admin token, with the API's audience and roles, from another realm."""
    realm = json.loads((REALM_DIR / "duka-realm.json").read_text())
    realm["realm"] = IMPOSTOR_REALM
    realm["users"] = [u for u in realm["users"] if u["username"] == "admin"]
    realm["clients"] = [c for c in realm["clients"] if c["clientId"] in {"duka-api", "duka-cli"}]
    keycloak_admin.post("", realm)
    answer = password_grant(keycloak.issuer(IMPOSTOR_REALM), "admin", "admin-dev-password")
    return str(answer["access_token"])


@pytest.fixture(scope="module")
def bad_tokens(
    tokens: Tokens, mint: Mint, impostor_token: str, keycloak: KeycloakServer
) -> dict[str, str]:
    """One forged or misused token per kind in tests/support/bad_tokens.py's BAD_TOKENS."""
    return make_bad_tokens(tokens, mint, impostor_token, keycloak)


@pytest.fixture(scope="module")
def guarded_app(keycloak: KeycloakServer) -> FastAPI:
    """An app with no database at all: a refusal that touched it would fail."""
    return create_app(
        Settings(environment="test", oidc_issuer=keycloak.issuer(), oidc_http_timeout_s=30)
    )


@pytest.fixture
async def guarded(guarded_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the database-less app; requests carry the token each test gives."""
    transport = httpx.ASGITransport(app=guarded_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
        yield c
