"""Key rotation on the real realm, seen by one running API (no restart in between)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from api.main import create_app
from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import DEMO_USERS, AdminApi, password_grant
from duka.core.settings import Settings
from duka.db.engine import Database
from tests.support.keycloak import Tokens
from tests.support.realm_keys import add_key_provider, add_rsa_key, kid_of, remove_key_provider

pytestmark = pytest.mark.anyio


def fresh_token(keycloak: KeycloakServer) -> str:
    """A new admin token (not the session's cached one), signed by the realm's current key."""
    admin = DEMO_USERS["admin"]
    return str(password_grant(keycloak.issuer(), admin.username, admin.password)["access_token"])


def published_kids(keycloak: KeycloakServer) -> set[str]:
    certs = httpx.get(f"{keycloak.issuer()}/protocol/openid-connect/certs", timeout=60).json()
    return {str(k["kid"]) for k in certs["keys"]}


def kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def status(c: httpx.AsyncClient, token: str) -> int:
    r = await c.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
    if r.status_code == 401:
        assert 'error="invalid_token"' in r.headers["www-authenticate"]
    return r.status_code


@pytest.fixture
async def api(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """One app, hence one key cache, for the whole story. Unknown key ids may trigger a
    fetch at once here (the default waits 10 s between such fetches; unit-tested)."""
    app = create_app(settings.model_copy(update={"oidc_jwks_min_refresh_s": 0}))
    app.state.db = db
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
        yield c


async def test_new_keys_are_accepted_and_removed_keys_refused_without_restart(
    api: httpx.AsyncClient, keycloak: KeycloakServer, keycloak_admin: AdminApi, tokens: Tokens
) -> None:
    assert await status(api, tokens.user("admin")) == 200  # the cache now holds today's keys

    # 1. An operator adds key A with a higher priority: Keycloak signs with it from now on.
    key_a = add_rsa_key(keycloak_admin, "rotation-a", priority=1000)
    key_b_id: str | None = None
    try:
        token_a = fresh_token(keycloak)
        assert kid(token_a) == key_a.kid
        assert await status(api, token_a) == 200  # an unknown kid: the API fetched the keys

        # 2. Rotation: Keycloak generates key B (higher still) and A is removed.
        key_b_id = add_key_provider(
            keycloak_admin, "rotation-b", "rsa-generated", priority=2000, keySize="2048"
        )
        remove_key_provider(keycloak_admin, key_a.component_id)
        token_b = fresh_token(keycloak)
        assert kid(token_b) == kid_of(keycloak_admin, key_b_id)
        assert await status(api, token_b) == 200
        # The fetch that B triggered no longer lists A: A's tokens are refused, though
        # they have not expired.
        assert jwt.decode(token_a, options={"verify_signature": False})["exp"] > 0
        assert await status(api, token_a) == 401
    finally:
        for component in (key_a.component_id, key_b_id):
            if component is not None:
                with contextlib.suppress(httpx.HTTPStatusError):  # removed above
                    remove_key_provider(keycloak_admin, component)
        assert key_a.kid not in published_kids(keycloak)
