"""Connections page with REST's keyset cursors: no gaps or repeats while rows are added,
and an endCursor is a REST cursor (and back)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.api.graphql.conftest import CREATE_ORDER, Gql

pytestmark = pytest.mark.anyio

CUSTOMER = {"code": "P", "name": "P", "phone": "0712000001"}
PAGE = """query($after: String) {
  orders(first: 6, after: $after) {
    edges { cursor node { id } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_paging_while_orders_arrive_has_no_gaps_or_repeats(
    gql: Gql, client: httpx.AsyncClient
) -> None:
    r = await client.post(
        "/api/v1/customers", json={"code": "P", "name": "P", "phone": "0712000001"}
    )
    assert r.status_code == 201, r.text
    before = []
    for n in range(20):
        made = await gql(
            CREATE_ORDER,
            {
                "input": {
                    "customerCode": "P",
                    "item": f"i{n}",
                    "amount": "1",
                    "orderedAt": f"2026-01-01T10:{n:02d}:00+03:00",
                }
            },
        )
        before.append(made["data"]["createOrder"]["order"]["id"])

    seen: list[str] = []
    after = None
    while True:
        page = (await gql(PAGE, {"after": after}))["data"]["orders"]
        seen += [e["node"]["id"] for e in page["edges"]]
        # A new order (now: after every existing one) arrives between pages.
        await gql(CREATE_ORDER, {"input": {"customerCode": "P", "item": "late", "amount": "1"}})
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
        assert len(seen) < 100, "pagination does not end"
    assert len(seen) == len(set(seen))
    assert seen[: len(before)] == before


async def test_cursors_are_the_same_as_rest(gql: Gql, client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/customers", json={"code": "P", "name": "P", "phone": "0712000001"}
    )
    for n in range(9):
        await gql(CREATE_ORDER, {"input": {"customerCode": "P", "item": f"i{n}", "amount": "1"}})
    first = (await gql(PAGE))["data"]["orders"]
    rest = await client.get("/api/v1/orders", params={"limit": 6})
    assert rest.json()["next_cursor"] == first["pageInfo"]["endCursor"]
    rest_next = await client.get(
        "/api/v1/orders", params={"limit": 6, "cursor": first["pageInfo"]["endCursor"]}
    )
    graphql_next = (await gql(PAGE, {"after": rest.json()["next_cursor"]}))["data"]["orders"]
    assert [o["id"] for o in rest_next.json()["items"]] == [
        e["node"]["id"] for e in graphql_next["edges"]
    ]
    assert graphql_next["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    assert r.status_code == 201


async def test_customers_page_and_filter(gql: Gql, client: httpx.AsyncClient) -> None:
    for n in range(5):
        r = await client.post(
            "/api/v1/customers", json={"name": f"Wanjiku {n}", "phone": "0712000001"}
        )
        assert r.status_code == 201
    await client.post("/api/v1/customers", json={"name": "Otieno", "phone": "0712000002"})
    query = """query($after: String) { customers(first: 2, after: $after, q: "wanjiku") {
        nodes { name } pageInfo { endCursor hasNextPage } } }"""
    names: list[str] = []
    after = None
    while True:
        page = (await gql(query, {"after": after}))["data"]["customers"]
        names += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == [f"Wanjiku {n}" for n in range(5)]
    by_code = await gql('{ customers(code: "cust-000006") { nodes { name } } }')
    assert by_code["data"]["customers"]["nodes"] == [{"name": "Otieno"}]
