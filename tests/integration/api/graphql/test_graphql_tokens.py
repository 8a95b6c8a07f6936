"""/graphql checks tokens with REST's own code: no token or a bad one is an HTTP 401 with
REST's challenge, before any GraphQL runs; a valid token without the role is FORBIDDEN."""

from __future__ import annotations

import httpx
import pytest

from tests.support.bad_tokens import BAD_TOKENS
from tests.support.realm_keys import Mint

pytestmark = pytest.mark.anyio

QUERIES = {
    "query": "{ customers { nodes { id } } }",
    "mutation": 'mutation { deleteCustomer(id: "00000000-0000-4000-8000-000000000000") '
    "{ __typename } }",
}


async def send(c: httpx.AsyncClient, kind: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await c.post("/graphql", json={"query": QUERIES[kind]}, headers=headers)


def assert_unauthorized(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:duka:problem:unauthorized"


@pytest.mark.parametrize("kind", sorted(QUERIES))
async def test_no_token_is_401_with_a_plain_challenge(
    guarded: httpx.AsyncClient, kind: str
) -> None:
    r = await send(guarded, kind, None)
    assert_unauthorized(r)
    assert r.headers["www-authenticate"] == 'Bearer realm="duka"'


@pytest.mark.parametrize("bad", BAD_TOKENS)
@pytest.mark.parametrize("kind", sorted(QUERIES))
async def test_a_bad_token_is_401_invalid_token(
    guarded: httpx.AsyncClient, bad_tokens: dict[str, str], kind: str, bad: str
) -> None:
    r = await send(guarded, kind, bad_tokens[bad])
    assert_unauthorized(r)
    assert r.headers["www-authenticate"].startswith(
        'Bearer realm="duka", error="invalid_token", error_description="'
    )


@pytest.mark.parametrize("kind", sorted(QUERIES))
async def test_a_valid_token_without_the_role_is_forbidden(
    guarded: httpx.AsyncClient, mint: Mint, kind: str
) -> None:
    r = await send(guarded, kind, mint(roles=["offline_access"], realm_access=None))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_a_token_with_roles_but_no_scope_is_forbidden(
    guarded: httpx.AsyncClient, mint: Mint
) -> None:
    # Data roles without staff or customer_code: REST's 403, GraphQL's FORBIDDEN.
    token = mint(roles=["customers:read", "orders:read"], realm_access=None)
    r = await send(guarded, "query", token)
    assert [e["extensions"]["code"] for e in r.json()["errors"]] == ["FORBIDDEN"]


async def test_a_get_that_is_not_a_browser_is_refused(guarded: httpx.AsyncClient) -> None:
    # Queries over GET are off (cacheable, past the JSON media-type gate); only a browser
    # (Accept: text/html) gets the GraphiQL page.
    r = await guarded.get("/graphql", headers={"accept": "application/json"})
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == "POST"
    assert r.headers["content-type"] == "application/problem+json"
