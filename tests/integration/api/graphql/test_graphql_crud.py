"""CRUD through GraphQL on the real stack: the same services, rules and rows as REST."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.integration.api.graphql.conftest import CREATE_CUSTOMER, CREATE_ORDER, Gql, codes

pytestmark = pytest.mark.anyio

CountRows = Callable[[str], Awaitable[int]]


async def test_customer_create_read_update_delete(gql: Gql, client: httpx.AsyncClient) -> None:
    made = await gql(CREATE_CUSTOMER, {"input": {"name": "Jane Wanjiku", "phone": "0712345678"}})
    result = made["data"]["createCustomer"]
    assert result["__typename"] == "CustomerPayload", made
    customer = result["customer"]
    assert customer["code"] == "CUST-000001"
    assert customer["phone"] == "+254712345678"

    # REST reads what GraphQL wrote: one service, one table.
    rest = await client.get(f"/api/v1/customers/{customer['id']}")
    assert rest.json()["name"] == "Jane Wanjiku"

    by_code = await gql(
        "query($c: String) { customer(code: $c) { id name } }", {"c": "cust-000001"}
    )
    assert by_code["data"]["customer"]["id"] == customer["id"]

    updated = await gql(
        """mutation($id: UUID!) { updateCustomer(id: $id, input: {name: "Jane W. Kamau"}) {
             ... on CustomerPayload { customer { name code } } } }""",
        {"id": customer["id"]},
    )
    assert updated["data"]["updateCustomer"]["customer"] == {
        "name": "Jane W. Kamau",
        "code": "CUST-000001",
    }

    deleted = await gql(
        """mutation($id: UUID!) { deleteCustomer(id: $id) {
             __typename ... on DeleteCustomerPayload { deletedId } } }""",
        {"id": customer["id"]},
    )
    assert deleted["data"]["deleteCustomer"]["deletedId"] == customer["id"]
    gone = await gql("query($id: UUID) { customer(id: $id) { id } }", {"id": customer["id"]})
    assert gone["data"] == {"customer": None}
    assert codes(gone) == ["NOT_FOUND"]


async def test_expected_failures_are_union_members(gql: Gql) -> None:
    first = await gql(
        CREATE_CUSTOMER, {"input": {"code": "A-1", "name": "A", "phone": "0712345678"}}
    )
    assert first["data"]["createCustomer"]["__typename"] == "CustomerPayload"
    taken = await gql(
        CREATE_CUSTOMER, {"input": {"code": "a-1", "name": "B", "phone": "0712345679"}}
    )
    conflict = taken["data"]["createCustomer"]
    assert conflict["__typename"] == "Conflict"
    assert conflict["code"] == "CONFLICT"
    assert conflict["reason"] == "customer-code-taken"
    assert "errors" not in taken

    customer_id = first["data"]["createCustomer"]["customer"]["id"]
    await gql(CREATE_ORDER, {"input": {"customerId": customer_id, "item": "x", "amount": "1"}})
    refused = await gql(
        "mutation($id: UUID!) "
        "{ deleteCustomer(id: $id) { __typename ... on Conflict { reason } } }",
        {"id": customer_id},
    )
    assert refused["data"]["deleteCustomer"] == {
        "__typename": "Conflict",
        "reason": "customer-has-orders",
    }


async def test_validation_errors_name_each_field(gql: Gql, count_rows: CountRows) -> None:
    bad = await gql(
        CREATE_CUSTOMER,
        {"input": {"code": "no spaces", "name": "x\u0000y", "phone": "12"}},
    )
    result = bad["data"]["createCustomer"]
    assert result["__typename"] == "ValidationFailed"
    assert result["code"] == "BAD_USER_INPUT"
    assert {f["field"] for f in result["fields"]} == {"code", "name", "phone"}

    order = await gql(
        CREATE_ORDER,
        {
            "input": {
                "customerCode": "CUST-1",
                "item": " ",
                "amount": "1.234",
                "currency": "XXY",
                "quantity": 0,
                "orderedAt": "2026-01-01T10:00:00",
            }
        },
    )
    failed = order["data"]["createOrder"]
    assert failed["__typename"] == "ValidationFailed"
    assert {f["field"] for f in failed["fields"]} == {
        "item",
        "amount",
        "currency",
        "quantity",
        "orderedAt",
    }
    both = await gql(CREATE_ORDER, {"input": {"item": "x", "amount": "1"}})
    assert both["data"]["createOrder"]["fields"][0]["field"] == "customerId"
    unknown = await gql(
        CREATE_ORDER, {"input": {"customerCode": "NOPE", "item": "x", "amount": "1"}}
    )
    assert unknown["data"]["createOrder"]["fields"] == [
        {
            "field": "customerCode",
            "message": "no such customer",
            "code": "unknown_customer",
            "index": None,
        }
    ]
    assert await count_rows("orders") == 0


async def test_a_bad_argument_type_is_bad_user_input(gql: Gql) -> None:
    body = await gql('{ order(id: "not-a-uuid") { id } }')
    assert codes(body) == ["BAD_USER_INPUT"]
    cursor = await gql('{ orders(after: "garbage") { nodes { id } } }')
    assert codes(cursor) == ["BAD_USER_INPUT"]
    assert cursor["errors"][0]["extensions"]["fields"][0]["field"] == "after"
    page = await gql("{ customers(first: 500) { nodes { id } } }")
    assert codes(page) == ["BAD_USER_INPUT"]


async def test_idempotent_create_order_replays_and_refuses_another_input(
    gql: Gql, count_rows: CountRows
) -> None:
    made = await gql(CREATE_CUSTOMER, {"input": {"name": "Jane", "phone": "0712345678"}})
    code = made["data"]["createCustomer"]["customer"]["code"]
    body = {"customerCode": code, "item": "Maize flour 2kg", "quantity": 2, "amount": "1250"}
    key = "3f1c0a2e-8b1d-4c59-9a37-5b0d2f1e7a10"
    first = (await gql(CREATE_ORDER, {"input": body, "key": key}))["data"]["createOrder"]
    again = (await gql(CREATE_ORDER, {"input": body, "key": key}))["data"]["createOrder"]
    assert first["__typename"] == again["__typename"] == "CreateOrderPayload"
    assert first["replayed"] is False
    assert again["replayed"] is True
    assert again["order"] == first["order"]
    assert first["order"]["amount"] == "1250.00"
    assert first["order"]["notification"] == {"status": "PENDING"}
    assert await count_rows("orders") == 1
    assert await count_rows("notifications") == 1

    other = await gql(CREATE_ORDER, {"input": {**body, "quantity": 3}, "key": key})
    conflict = other["data"]["createOrder"]
    assert conflict["__typename"] == "Conflict"
    assert conflict["reason"] == "idempotency-key-reused"
    assert await count_rows("orders") == 1


async def test_create_orders_is_all_or_nothing_with_errors_by_index(
    gql: Gql, count_rows: CountRows
) -> None:
    await gql(CREATE_CUSTOMER, {"input": {"code": "C1", "name": "One", "phone": "0712345678"}})
    mutation = """
      mutation($inputs: [OrderInput!]!) { createOrders(inputs: $inputs) {
        __typename
        ... on CreateOrdersPayload { created }
        ... on ValidationFailed { fields { field code index } }
      } }
    """
    good = {"customerCode": "C1", "item": "Sugar 1kg", "amount": "180"}
    bad = [good, {**good, "amount": "0"}, good, {**good, "customerCode": "NOPE"}]
    failed = (await gql(mutation, {"inputs": bad}))["data"]["createOrders"]
    assert failed["__typename"] == "ValidationFailed"
    assert {(f["index"], f["field"]) for f in failed["fields"]} == {
        (1, "amount"),
        (3, "customerCode"),
    }
    assert await count_rows("orders") == 0

    done = (await gql(mutation, {"inputs": [good] * 3}))["data"]["createOrders"]
    assert done == {"__typename": "CreateOrdersPayload", "created": 3}
    assert await count_rows("orders") == 3
    assert await count_rows("notifications") == 3


async def test_a_batch_over_the_cap_is_refused(
    client_for: Callable[..., httpx.AsyncClient],
) -> None:
    client = client_for(graphql_max_batch=2)
    inputs = [{"customerCode": "C1", "item": "x", "amount": "1"}] * 3
    r = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: [OrderInput!]!) { createOrders(inputs: $i) "
            "{ ... on ValidationFailed { fields { field code } } } }",
            "variables": {"i": inputs},
        },
    )
    assert r.json()["data"]["createOrders"]["fields"] == [{"field": "inputs", "code": "batch_size"}]


async def test_retry_notification_is_admin_only(gql: Gql, db: object) -> None:
    made = await gql(CREATE_CUSTOMER, {"input": {"name": "Jane", "phone": "0712345678"}})
    cid = made["data"]["createCustomer"]["customer"]["id"]
    order = await gql(CREATE_ORDER, {"input": {"customerId": cid, "item": "x", "amount": "1"}})
    oid = order["data"]["createOrder"]["order"]["id"]
    mutation = """mutation($id: UUID!) { retryNotification(orderId: $id) {
        __typename ... on Conflict { reason } ... on NotFound { message } } }"""
    clerk = await gql(mutation, {"id": oid}, who="clerk")
    assert codes(clerk) == ["FORBIDDEN"]
    assert clerk["data"] is None
    pending = await gql(mutation, {"id": oid})
    assert pending["data"]["retryNotification"] == {
        "__typename": "Conflict",
        "reason": "notification-not-failed",
    }
    missing = await gql(mutation, {"id": "00000000-0000-4000-8000-000000000000"})
    assert missing["data"]["retryNotification"]["__typename"] == "NotFound"
