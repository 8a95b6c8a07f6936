"""Real-Keycloak fixtures for the auth tests: a signing key of our own in the realm (to mint
expired or not-yet-valid tokens that Keycloak would never issue), and a second realm of the
same server (real tokens from the wrong issuer)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from devtools.keycloak import REALM_DIR, KeycloakServer
from devtools.keycloak_api import AdminApi, password_grant
from tests.support.keycloak import Tokens, claims_of
from tests.support.realm_keys import Mint, RealmKey, add_rsa_key, remove_key_provider

IMPOSTOR_REALM = "duka-impostor"


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
