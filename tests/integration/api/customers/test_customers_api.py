"""Customer CRUD through the HTTP API, against the real database."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from duka.db.engine import Database

pytestmark = pytest.mark.anyio

Factory = Callable[..., Awaitable[dict[str, Any]]]
Counter = Callable[[str], Awaitable[int]]
Problem = Callable[[httpx.Response, int, str], dict[str, Any]]


async def test_create_without_code_generates_sequential_codes(client: httpx.AsyncClient) -> None:
    first = await client.post("/api/v1/customers", json={"name": "Jane", "phone": "0712345678"})
    second = await client.post(
        "/api/v1/customers", json={"name": "Otieno", "phone": "+254 733 000 111"}
    )
    assert first.status_code == second.status_code == 201
    assert first.headers["content-type"] == "application/json"
    one, two = first.json(), second.json()
    assert (one["code"], two["code"]) == ("CUST-000001", "CUST-000002")
    assert one["phone"] == "+254712345678"
    assert two["phone"] == "+254733000111"
    assert first.headers["location"] == f"/api/v1/customers/{one['id']}"
    assert "idempotent-replayed" not in first.headers
    assert one["created_at"] == one["updated_at"]
    assert datetime.fromisoformat(one["created_at"]).tzinfo is not None


async def test_create_with_code_keeps_it_and_trims_whitespace(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/customers", json={"code": "  Shop-7 ", "name": "  Amina  ", "phone": "0712345678"}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["code"], r.json()["name"]) == ("Shop-7", "Amina")


@pytest.mark.parametrize("clash", ["Shop-7", "shop-7", "SHOP-7"])
async def test_codes_are_unique_ignoring_case(
    client: httpx.AsyncClient,
    new_customer: Factory,
    count_rows: Counter,
    clash: str,
    problem: Problem,
) -> None:
    await new_customer(code="Shop-7")
    r = await client.post(
        "/api/v1/customers", json={"code": clash, "name": "Other", "phone": "0733000111"}
    )
    body = problem(r, 409, "customer-code-taken")
    assert clash in body["detail"]
    assert await count_rows("customers") == 1


async def test_generated_codes_grow_past_six_digits_without_repeating(
    client: httpx.AsyncClient, db: Database, new_customer: Factory
) -> None:
    async with db.autocommit() as conn:
        await conn.execute(text("SELECT setval('customer_code_seq', 999999, false)"))
    codes = [(await new_customer())["code"] for _ in range(2)]
    assert codes == ["CUST-999999", "CUST-1000000"]


async def test_generated_code_skips_codes_clients_chose(
    client: httpx.AsyncClient, new_customer: Factory
) -> None:
    await new_customer(code="cust-000001")
    generated = await new_customer()
    assert generated["code"] == "CUST-000002"


async def test_generation_gives_up_with_409_when_every_attempt_is_taken(
    client: httpx.AsyncClient, new_customer: Factory, count_rows: Counter, problem: Problem
) -> None:
    for n in range(1, 21):
        await new_customer(code=f"CUST-{n:06d}")
    r = await client.post("/api/v1/customers", json={"name": "Late", "phone": "0712345678"})
    problem(r, 409, "customer-code-taken")
    assert await count_rows("customers") == 20


async def test_get_by_id_and_by_code_in_any_case(
    client: httpx.AsyncClient, new_customer: Factory
) -> None:
    created = await new_customer(code="Duka-42")
    by_id = await client.get(f"/api/v1/customers/{created['id']}")
    by_code = await client.get("/api/v1/customers/by-code/dUKA-42")
    assert by_id.status_code == by_code.status_code == 200
    assert by_id.json() == by_code.json() == created


async def test_unknown_customer_is_404_problem(client: httpx.AsyncClient, problem: Problem) -> None:
    missing = uuid.uuid4()
    body = problem(await client.get(f"/api/v1/customers/{missing}"), 404, "not-found")
    assert str(missing) in body["detail"]
    body = problem(await client.get("/api/v1/customers/by-code/NOPE-1"), 404, "not-found")
    assert "NOPE-1" in body["detail"]


async def test_malformed_ids_and_codes_are_422_naming_the_path_parameter(
    client: httpx.AsyncClient, problem: Problem
) -> None:
    body = problem(await client.get("/api/v1/customers/not-a-uuid"), 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["path.customer_id"]
    body = problem(await client.get("/api/v1/customers/by-code/%00bad"), 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["path.code"]


async def test_patch_changes_only_the_given_fields(
    client: httpx.AsyncClient, new_customer: Factory
) -> None:
    created = await new_customer(code="P-1", name="Old Name")
    r = await client.patch(f"/api/v1/customers/{created['id']}", json={"name": " New Name "})
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["name"] == "New Name"
    assert (updated["code"], updated["phone"]) == ("P-1", created["phone"])
    assert updated["created_at"] == created["created_at"]
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(
        created["updated_at"]
    )
    assert (await client.get(f"/api/v1/customers/{created['id']}")).json() == updated


async def test_patch_normalises_phone_and_changes_code(
    client: httpx.AsyncClient, new_customer: Factory
) -> None:
    created = await new_customer(code="P-2")
    r = await client.patch(
        f"/api/v1/customers/{created['id']}", json={"phone": "0733 000 111", "code": "p-2b"}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["phone"], r.json()["code"]) == ("+254733000111", "p-2b")
    assert (await client.get("/api/v1/customers/by-code/P-2B")).status_code == 200


async def test_patch_may_change_the_case_of_its_own_code(
    client: httpx.AsyncClient, new_customer: Factory
) -> None:
    created = await new_customer(code="abc-1")
    r = await client.patch(f"/api/v1/customers/{created['id']}", json={"code": "ABC-1"})
    assert r.status_code == 200, r.text
    assert r.json()["code"] == "ABC-1"


async def test_patch_to_a_taken_code_is_409(
    client: httpx.AsyncClient, new_customer: Factory, problem: Problem
) -> None:
    await new_customer(code="Taken-1")
    other = await new_customer(code="Free-1")
    r = await client.patch(f"/api/v1/customers/{other['id']}", json={"code": "TAKEN-1"})
    problem(r, 409, "customer-code-taken")
    assert (await client.get(f"/api/v1/customers/{other['id']}")).json()["code"] == "Free-1"


async def test_patch_with_explicit_nulls_is_refused_field_by_field(
    client: httpx.AsyncClient, new_customer: Factory, problem: Problem
) -> None:
    created = await new_customer()
    r = await client.patch(
        f"/api/v1/customers/{created['id']}", json={"name": None, "phone": None, "code": "ok-1"}
    )
    body = problem(r, 422, "validation-error")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("name", "null_not_allowed"),
        ("phone", "null_not_allowed"),
    ]
    # Nothing was applied, not even the valid part.
    assert (await client.get(f"/api/v1/customers/{created['id']}")).json() == created


async def test_patch_with_bad_phone_changes_nothing(
    client: httpx.AsyncClient, new_customer: Factory, problem: Problem
) -> None:
    created = await new_customer()
    r = await client.patch(
        f"/api/v1/customers/{created['id']}", json={"name": "X", "phone": "12345"}
    )
    body = problem(r, 422, "validation-error")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("phone", "invalid_phone")]
    assert (await client.get(f"/api/v1/customers/{created['id']}")).json()["name"] == "Jane Wanjiku"


async def test_empty_patch_returns_the_customer_unchanged(
    client: httpx.AsyncClient, new_customer: Factory
) -> None:
    created = await new_customer()
    r = await client.patch(f"/api/v1/customers/{created['id']}", json={})
    assert r.status_code == 200
    assert r.json() == created


@pytest.mark.parametrize("body", [{}, {"name": "Someone"}])
async def test_patch_unknown_customer_is_404(
    client: httpx.AsyncClient, body: dict[str, Any], problem: Problem
) -> None:
    r = await client.patch(f"/api/v1/customers/{uuid.uuid4()}", json=body)
    problem(r, 404, "not-found")


async def test_delete_then_gone(
    client: httpx.AsyncClient, new_customer: Factory, count_rows: Counter, problem: Problem
) -> None:
    created = await new_customer()
    r = await client.delete(f"/api/v1/customers/{created['id']}")
    assert r.status_code == 204
    assert r.content == b""
    assert await count_rows("customers") == 0
    problem(await client.get(f"/api/v1/customers/{created['id']}"), 404, "not-found")
    problem(await client.delete(f"/api/v1/customers/{created['id']}"), 404, "not-found")


async def test_delete_is_refused_while_the_customer_has_orders(
    client: httpx.AsyncClient,
    new_customer: Factory,
    new_order: Factory,
    count_rows: Counter,
    problem: Problem,
) -> None:
    created = await new_customer()
    await new_order(created["id"])
    body = problem(
        await client.delete(f"/api/v1/customers/{created['id']}"), 409, "customer-has-orders"
    )
    assert "orders" in body["detail"]
    assert await count_rows("customers") == 1
    assert (await client.get(f"/api/v1/customers/{created['id']}")).status_code == 200


async def test_list_filters_by_code_and_by_name_fragment(
    client: httpx.AsyncClient, new_customer: Factory
) -> None:
    jane = await new_customer(code="J-1", name="Jane Wanjiku")
    await new_customer(code="O-1", name="Otieno Juma")
    percent = await new_customer(code="P-1", name="100% Juice")
    await new_customer(code="P-2", name="1000 Juice")

    by_code = (await client.get("/api/v1/customers", params={"code": "j-1"})).json()
    assert [c["id"] for c in by_code["items"]] == [jane["id"]]
    assert by_code["next_cursor"] is None

    by_name = (await client.get("/api/v1/customers", params={"q": "WANJ"})).json()
    assert [c["id"] for c in by_name["items"]] == [jane["id"]]

    # LIKE wildcards in the search are literal text.
    literal = (await client.get("/api/v1/customers", params={"q": "100%"})).json()
    assert [c["id"] for c in literal["items"]] == [percent["id"]]
    assert (await client.get("/api/v1/customers", params={"q": "_"})).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "query.q"),
        ({"q": "x" * 101}, "query.q"),
        ({"q": "a\x00b"}, "query.q"),
        ({"code": "bad code"}, "query.code"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "201"}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
    ],
)
async def test_bad_list_parameters_are_422_naming_them(
    client: httpx.AsyncClient, params: dict[str, str], field: str, problem: Problem
) -> None:
    body = problem(await client.get("/api/v1/customers", params=params), 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == [field]
