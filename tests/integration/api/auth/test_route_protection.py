"""Every /api/v1 route refuses callers without a valid token (401) or the role (403),
with real tokens from the session's Keycloak and forgeries made from them.

The refusals come before any database work, so they run against one app per module with no
database at all: a route that touched the database before checking the caller would fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.api_routes import ALL_API_ROUTES, API_ROUTES, ApiRoute
from tests.support.bad_tokens import BAD_TOKENS
from tests.support.keycloak import Tokens, claims_of
from tests.support.realm_keys import Mint

pytestmark = pytest.mark.anyio

ClientAs = Callable[[str | None], httpx.AsyncClient]


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
