"""Hostile text round-trips verbatim through GraphQL too (REST's corpus), and an unexpected
failure reaches the client as INTERNAL without its text."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from duka.customers.service import CustomerService
from tests.integration.api.core.test_hostile_strings import HOSTILE
from tests.integration.api.graphql.conftest import CREATE_CUSTOMER, CREATE_ORDER, Gql, codes

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_hostile_names_and_items_round_trip_verbatim(gql: Gql, hostile: str) -> None:
    made = await gql(CREATE_CUSTOMER, {"input": {"name": hostile, "phone": "0712345678"}})
    customer = made["data"]["createCustomer"]["customer"]
    assert customer["name"] == hostile
    order = await gql(
        CREATE_ORDER, {"input": {"customerId": customer["id"], "item": hostile, "amount": "1"}}
    )
    assert order["data"]["createOrder"]["order"]["item"] == hostile
    read = await gql(
        """query($id: UUID!, $q: String) {
             customer(id: $id) { name orders { item } }
             customers(q: $q) { nodes { name } } }""",
        {"id": customer["id"], "q": hostile},
    )
    assert read["data"]["customer"] == {"name": hostile, "orders": [{"item": hostile}]}
    assert read["data"]["customers"]["nodes"] == [{"name": hostile}]


async def test_an_unexpected_failure_is_internal_and_shows_nothing(
    gql: Gql, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError('relation "customers_secret" does not exist: SELECT * FROM x')

    monkeypatch.setattr(CustomerService, "list", broken)
    body = await gql("{ customers { nodes { id } } }")
    assert codes(body) == ["INTERNAL"]
    assert "customers_secret" not in str(body)
    assert "SELECT" not in str(body)
    assert "Traceback" not in str(body)
    assert any("customers_secret" in str(r.exc_info) for r in caplog.records if r.exc_info)


async def test_an_answer_is_json_even_for_a_malformed_document(
    client_as: Callable[[str | None], httpx.AsyncClient],
) -> None:
    r = await client_as("admin").post("/graphql", json={"query": "{ customers { "})
    body = r.json()
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "Syntax Error" in body["errors"][0]["message"]
