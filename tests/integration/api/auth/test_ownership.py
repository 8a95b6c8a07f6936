"""The demo customer (token claim customer_code=CUST-000001) sees and orders only for itself;
other callers act by their roles, and created_by records each caller's subject."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.keycloak import Tokens, claims_of

pytestmark = pytest.mark.anyio

ClientAs = Callable[[str | None], httpx.AsyncClient]
OWN_CODE = "CUST-000001"


@pytest.fixture
async def shop(client: httpx.AsyncClient) -> dict[str, Any]:
    """Two customers, one the demo customer's own, with an order each (made by the admin)."""
    made: dict[str, Any] = {}
    for key, code, phone in (("own", OWN_CODE, "0712000001"), ("other", "OTHER-1", "0712000002")):
        r = await client.post("/api/v1/customers", json={"name": key, "phone": phone, "code": code})
        assert r.status_code == 201, r.text
        made[key] = r.json()
        r = await client.post(
            "/api/v1/orders", json={"customer_id": made[key]["id"], "item": "Tea", "amount": "5"}
        )
        assert r.status_code == 201, r.text
        made[f"{key}_order"] = r.json()
    return made


def test_the_demo_customer_token_really_carries_its_customer_code(tokens: Tokens) -> None:
    claims = claims_of(tokens.user("customer"))
    assert claims["customer_code"] == OWN_CODE
    assert "customer_code" not in claims_of(tokens.user("clerk"))


async def test_a_customer_reads_its_own_profile_and_orders_only(
    client_as: ClientAs, shop: dict[str, Any]
) -> None:
    me = client_as("customer")
    assert (await me.get(f"/api/v1/customers/{shop['own']['id']}")).status_code == 200
    assert (await me.get(f"/api/v1/customers/{shop['other']['id']}")).status_code == 404
    assert (await me.get(f"/api/v1/customers/by-code/{OWN_CODE.lower()}")).status_code == 200
    assert (await me.get("/api/v1/customers/by-code/OTHER-1")).status_code == 404
    listed = (await me.get("/api/v1/customers")).json()["items"]
    assert [c["code"] for c in listed] == [OWN_CODE]

    assert (await me.get(f"/api/v1/orders/{shop['own_order']['id']}")).status_code == 200
    other = await me.get(f"/api/v1/orders/{shop['other_order']['id']}")
    assert other.status_code == 404
    assert other.json()["type"] == "urn:duka:problem:not-found"
    orders = (await me.get("/api/v1/orders")).json()["items"]
    assert [o["id"] for o in orders] == [shop["own_order"]["id"]]
    by_other_code = await me.get("/api/v1/orders", params={"customer_code": "OTHER-1"})
    assert by_other_code.json()["items"] == []


async def test_a_customer_orders_for_itself_but_not_for_others(
    client_as: ClientAs, client: httpx.AsyncClient, tokens: Tokens, shop: dict[str, Any]
) -> None:
    me = client_as("customer")
    mine = await me.post(
        "/api/v1/orders", json={"customer_code": OWN_CODE, "item": "Sugar", "amount": "3"}
    )
    assert mine.status_code == 201, mine.text
    # created_by is staff information (the customer sees its own view of the order).
    staff_view = await client.get(f"/api/v1/orders/{mine.json()['id']}")
    assert staff_view.json()["created_by"] == tokens.subject("customer")
    theirs = await me.post(
        "/api/v1/orders", json={"customer_id": shop["other"]["id"], "item": "Sugar", "amount": "3"}
    )
    assert theirs.status_code == 422
    assert theirs.json()["errors"][0]["code"] == "unknown_customer"
    # Nothing was written for the other customer.
    others = await client.get("/api/v1/orders", params={"customer_code": "OTHER-1"})
    assert len(others.json()["items"]) == 1


async def test_a_customer_cannot_change_customers(
    client_as: ClientAs, shop: dict[str, Any]
) -> None:
    me = client_as("customer")
    r = await me.patch(f"/api/v1/customers/{shop['own']['id']}", json={"name": "Mine now"})
    assert r.status_code == 403
    r = await me.post("/api/v1/customers", json={"name": "New", "phone": "0712000009"})
    assert r.status_code == 403


async def test_staff_see_every_customer(client_as: ClientAs, shop: dict[str, Any]) -> None:
    for who in ("analyst", "clerk", "duka-ingest"):
        listed = (await client_as(who).get("/api/v1/customers")).json()["items"]
        assert {c["code"] for c in listed} == {OWN_CODE, "OTHER-1"}, who


async def test_created_by_is_the_callers_subject_for_users_and_service_accounts(
    client_as: ClientAs, tokens: Tokens, shop: dict[str, Any]
) -> None:
    for who in ("clerk", "duka-ingest"):
        r = await client_as(who).post(
            "/api/v1/orders", json={"customer_code": "OTHER-1", "item": "Rice", "amount": "2"}
        )
        assert r.status_code == 201, r.text
        assert r.json()["created_by"] == tokens.subject(who)
    # Keycloak's service-account subject is a user id of its own, distinct per client.
    assert tokens.subject("duka-ingest") != tokens.subject("clerk")
    assert claims_of(tokens.ingest())["azp"] == "duka-ingest"
    assert shop["own_order"]["created_by"] == tokens.subject("admin")


async def test_a_customers_bulk_upload_is_held_to_its_own_customer(
    client_as: ClientAs, client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    me = client_as("customer")
    rows = [
        {"customer_code": OWN_CODE, "item": "Salt", "amount": "1"},
        {"customer_code": "OTHER-1", "item": "Salt", "amount": "1"},
    ]
    r = await me.post("/api/v1/uploads/orders", json=rows)
    assert r.status_code == 422, r.text
    assert [e["code"] for e in r.json()["errors"]] == ["unknown_customer"]
    listed = (await client.get("/api/v1/orders")).json()["items"]
    assert len(listed) == 2  # the two orders of the shop fixture, nothing from the upload
