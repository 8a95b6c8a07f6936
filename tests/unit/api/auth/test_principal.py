"""From a bearer header to a Principal, and the 401 answers on the way (no Keycloak here)."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.datastructures import State

from api.auth.principal import get_principal, verifier_for
from api.auth.roles import require
from api.core import problems
from duka.auth.principal import ALL_ROLES, Principal, principal_from
from duka.auth.tokens import TokenVerifier, VerifiedToken
from duka.core.errors import AuthenticationError
from duka.core.settings import Settings
from tests.support.fake_issuer import ISSUER, FakeIssuer, claims, rsa_key, sign

pytestmark = pytest.mark.anyio

KEY = rsa_key()


def verified(**fields: object) -> VerifiedToken:
    base: dict[str, object] = {
        "subject": "user-1",
        "roles": frozenset({"orders:read", "offline_access", "uma_authorization"}),
        "customer_code": None,
        "client_id": "duka-cli",
        "claims": {},
    }
    return VerifiedToken(**(base | fields))  # type: ignore[arg-type]


def test_only_duka_roles_reach_the_principal() -> None:
    principal = principal_from(verified())
    assert principal == Principal(
        subject="user-1", roles=frozenset({"orders:read"}), client_id="duka-cli"
    )


def test_a_customer_code_claim_scopes_the_principal() -> None:
    assert principal_from(verified(customer_code="CUST-000001")).customer_code == "CUST-000001"


@pytest.mark.parametrize("code", ["", "has space", "x" * 40, "-leading-dash"])
def test_a_customer_code_that_no_customer_can_have_is_refused(code: str) -> None:
    with pytest.raises(AuthenticationError, match="not a customer code"):
        principal_from(verified(customer_code=code))


@pytest.fixture
def app() -> FastAPI:
    """A one-route app whose issuer is in memory, behind the real identity seam."""
    issuer = FakeIssuer()
    issuer.add(KEY, "k1")
    settings = Settings(oidc_issuer=ISSUER)
    app = FastAPI()
    problems.install(app)
    app.state.settings = settings

    app.state.token_verifier = TokenVerifier.from_settings(settings, transport=issuer.transport)

    @app.get("/me", dependencies=[Depends(require("orders:read"))])
    async def me(principal: Annotated[Principal, Depends(get_principal)]) -> dict[str, object]:
        return {"sub": principal.subject, "roles": sorted(principal.roles)}

    return app


async def call(app: FastAPI, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        return await c.get("/me", headers=headers)


async def test_a_valid_bearer_token_reaches_the_route(app: FastAPI) -> None:
    r = await call(app, f"Bearer {sign(claims(), KEY, 'k1')}")
    assert r.status_code == 200
    assert r.json() == {
        "sub": claims()["sub"],
        "roles": ["customers:read", "orders:read", "staff"],
    }


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_the_scheme_name_is_case_insensitive(app: FastAPI, scheme: str) -> None:
    assert (await call(app, f"{scheme} {sign(claims(), KEY, 'k1')}")).status_code == 200


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwdw=="])
async def test_no_bearer_token_is_a_plain_challenge(
    app: FastAPI, authorization: str | None
) -> None:
    r = await call(app, authorization)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="duka"'
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:duka:problem:unauthorized"


async def test_a_bad_token_names_invalid_token(app: FastAPI) -> None:
    r = await call(app, 'Bearer not"a\\jwt')
    assert r.status_code == 401
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="duka", error="invalid_token", error_description="')
    # The description stays a valid quoted-string whatever the detail holds.
    assert challenge.count('"') == 6
    assert "\\" not in challenge


async def test_a_missing_role_is_403_insufficient_scope(app: FastAPI) -> None:
    r = await call(app, f"Bearer {sign(claims(roles=['customers:read']), KEY, 'k1')}")
    assert r.status_code == 403
    assert r.headers["www-authenticate"] == 'Bearer realm="duka", error="insufficient_scope"'
    assert r.json()["type"] == "urn:duka:problem:forbidden"
    assert "orders:read" in r.json()["detail"]


async def test_the_verifier_is_made_once_per_app() -> None:
    state = State()
    first = verifier_for(state, Settings(oidc_issuer=ISSUER))
    assert verifier_for(state, Settings(oidc_issuer="https://elsewhere.test")) is first
    assert first.issuer == ISSUER
    assert {"admin"} <= ALL_ROLES
