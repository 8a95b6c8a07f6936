"""The imported realm as the API relies on it: claims of each demo caller's real token,
short lifespans, and a customer_code that its holder cannot change."""

from __future__ import annotations

import httpx
import pytest

from devtools.keycloak import REALM, KeycloakServer
from devtools.keycloak_api import AdminApi
from tests.support.keycloak import Tokens, claims_of

DATA_ROLES = {"customers:read", "customers:write", "orders:read", "orders:write"}
DUKA_ROLES = DATA_ROLES | {"admin", "staff"}


@pytest.mark.parametrize(
    ("who", "roles"),
    [
        ("admin", {"admin"}),
        ("clerk", DATA_ROLES | {"staff"}),
        ("analyst", {"customers:read", "orders:read", "staff"}),
        # No staff role: the customer_code claim is its only scope.
        ("customer", {"customers:read", "orders:read", "orders:write"}),
        ("duka-ingest", DATA_ROLES | {"staff"}),
    ],
)
def test_each_callers_token_carries_the_api_audience_and_its_roles(
    tokens: Tokens, keycloak: KeycloakServer, who: str, roles: set[str]
) -> None:
    claims = claims_of(tokens.token(who))
    assert claims["iss"] == keycloak.issuer()
    assert "duka-api" in claims["aud"]
    assert claims["typ"] == "Bearer"
    assert set(claims["roles"]) & DUKA_ROLES == roles
    assert claims["exp"] - claims["iat"] == 300


def update_own_profile(keycloak: KeycloakServer, token: str, code: str) -> httpx.Response:
    account = f"{keycloak.issuer()}/account"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    me = httpx.get(account, headers=headers, timeout=60).json()
    me["attributes"] = {**me.get("attributes", {}), "customer_code": [code]}
    return httpx.post(account, headers=headers, json=me, timeout=60)


def test_a_customer_cannot_change_its_own_customer_code(
    tokens: Tokens, keycloak: KeycloakServer, keycloak_admin: AdminApi
) -> None:
    update_own_profile(keycloak, tokens.user("customer"), "OTHER-1")
    (user,) = keycloak_admin.get(f"/{REALM}/users?username=customer&exact=true")
    assert user["attributes"]["customer_code"] == ["CUST-000001"]
