"""Customer scoping must not hang on a claim being present (issue 11, Medium 9).

A real Keycloak client that adds the `duka-api` audience and the roles, but not the
`customer_code` mapper, gives the demo customer a token without its code. Such a token
used to read every customer's data; now an unknown client is refused (401), and even an
allowed one acts on nothing without the staff role (403).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from api.main import create_app
from devtools.keycloak import REALM, REALM_DIR, KeycloakServer
from devtools.keycloak_api import DEMO_USERS, AdminApi, password_grant
from duka.core.settings import Settings
from duka.db.engine import Database
from tests.support.keycloak import claims_of
from tests.support.realm_keys import Mint

pytestmark = pytest.mark.anyio

ClientAs = Callable[[str | None], httpx.AsyncClient]


@pytest.fixture(scope="module")
def client_without_code_mapper(keycloak_admin: AdminApi) -> Iterator[str]:
    """A public password-grant client with duka-cli's mappers except customer_code."""
    realm = json.loads((REALM_DIR / "duka-realm.json").read_text())
    cli = next(c for c in realm["clients"] if c["clientId"] == "duka-cli")
    client_id = f"no-code-mapper-{uuid.uuid4().hex[:8]}"
    mappers = [m for m in cli["protocolMappers"] if m["name"] != "customer_code"]
    created = keycloak_admin.post(
        f"/{REALM}/clients",
        {**cli, "clientId": client_id, "name": client_id, "protocolMappers": mappers},
    )
    internal_id = keycloak_admin.created_id(created)
    yield client_id
    keycloak_admin.delete(f"/{REALM}/clients/{internal_id}")


@pytest.fixture(scope="module")
def codeless_customer_token(keycloak: KeycloakServer, client_without_code_mapper: str) -> str:
    user = DEMO_USERS["customer"]
    answer = password_grant(
        keycloak.issuer(), user.username, user.password, client_id=client_without_code_mapper
    )
    token = str(answer["access_token"])
    claims = claims_of(token)
    assert "duka-api" in claims["aud"]
    assert "customers:read" in claims["roles"]
    assert "customer_code" not in claims  # the defect's precondition
    return token


async def get(c: httpx.AsyncClient, path: str, token: str) -> httpx.Response:
    return await c.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def app_allowing(
    settings: Settings, db: Database, client_without_code_mapper: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose allow-list also names the mapper-less client."""
    allowed = [*settings.oidc_allowed_clients, client_without_code_mapper]
    app = create_app(settings.model_copy(update={"oidc_allowed_clients": allowed}))
    app.state.db = db
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
        yield c


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/orders"])
async def test_a_token_from_a_client_outside_the_allow_list_is_401(
    client_as: ClientAs, codeless_customer_token: str, path: str
) -> None:
    r = await get(client_as(None), path, codeless_customer_token)
    assert r.status_code == 401, r.text
    assert "does not accept" in r.headers["www-authenticate"]


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/orders"])
async def test_a_missing_customer_code_never_widens_access(
    app_allowing: httpx.AsyncClient,
    client: httpx.AsyncClient,
    codeless_customer_token: str,
    path: str,
) -> None:
    made = await client.post(
        "/api/v1/customers", json={"name": "Other", "phone": "0712000002", "code": "OTHER-1"}
    )
    assert made.status_code == 201, made.text
    r = await get(app_allowing, path, codeless_customer_token)
    assert r.status_code == 403, r.text  # the old code answered 200 with every customer
    assert "staff" in r.json()["detail"]


async def test_a_minted_token_with_roles_but_neither_staff_nor_code_is_403(
    client_as: ClientAs, mint: Mint
) -> None:
    token = mint(roles=["customers:read", "orders:read"], customer_code=None)
    r = await get(client_as(None), "/api/v1/customers", token)
    assert r.status_code == 403, r.text
    assert r.headers["www-authenticate"] == 'Bearer realm="duka", error="insufficient_scope"'


async def test_staff_logins_still_see_every_customer(
    client_as: ClientAs, client: httpx.AsyncClient
) -> None:
    for code, phone in (("OWN-1", "0712000001"), ("OTHER-2", "0712000003")):
        body: dict[str, Any] = {"name": code, "phone": phone, "code": code}
        assert (await client.post("/api/v1/customers", json=body)).status_code == 201
    for who in ("clerk", "analyst", "duka-ingest"):
        r = await client_as(who).get("/api/v1/customers")
        assert r.status_code == 200, r.text
        assert {c["code"] for c in r.json()["items"]} >= {"OWN-1", "OTHER-2"}
