"""Bulk customers: every row stored with a unique code, or nothing stored."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.integration.api.uploads.uploads_support import (
    CUSTOMERS,
    ClientAs,
    Counter,
    Poster,
    ProblemCheck,
    Query,
    csv_text,
)

pytestmark = pytest.mark.anyio

HEADER = ("code", "name", "phone")
STORED = "SELECT code, name, phone FROM customers ORDER BY code"


async def test_json_array_with_generated_codes_and_e164_phones(
    client: httpx.AsyncClient, query: Query
) -> None:
    rows = [
        {"code": " Shop-7 ", "name": " Jane Wanjiku ", "phone": "0712 345 678"},
        {"name": "Otieno Omondi", "phone": "+254722000111"},
        {"name": "Achieng", "phone": "0733000222", "code": None},
    ]
    r = await client.post(CUSTOMERS, json=rows)
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "customers", "created": 3}
    assert await query(STORED) == [
        {"code": "CUST-000001", "name": "Otieno Omondi", "phone": "+254722000111"},
        {"code": "CUST-000002", "name": "Achieng", "phone": "+254733000222"},
        {"code": "Shop-7", "name": "Jane Wanjiku", "phone": "+254712345678"},
    ]
    found = await client.get("/api/v1/customers/by-code/shop-7")
    assert found.status_code == 200
    assert found.json()["name"] == "Jane Wanjiku"


async def test_csv_with_bom_and_crlf(post_body: Poster, query: Query) -> None:
    body = "\ufeffname,phone,code\r\nWanjiku,0712345678,\r\n\r\nKamau,0712345679,K-1\r\n"
    r = await post_body(CUSTOMERS, body.encode(), "text/csv; charset=utf-8")
    assert r.status_code == 201, r.text
    assert [c["code"] for c in await query(STORED)] == ["CUST-000001", "K-1"]


async def test_multipart_json_file(client: httpx.AsyncClient, query: Query) -> None:
    content = json.dumps([{"name": "Njeri", "phone": "+254700000123"}]).encode()
    r = await client.post(
        CUSTOMERS, files={"file": ("customers.json", content, "application/octet-stream")}
    )
    assert r.status_code == 201, r.text
    assert await query(STORED) == [
        {"code": "CUST-000001", "name": "Njeri", "phone": "+254700000123"}
    ]


async def test_generated_codes_step_over_codes_in_use(
    post_body: Poster, new_customer: Callable[..., Awaitable[dict[str, object]]], query: Query
) -> None:
    await new_customer(code="cust-000002")
    rows = [
        ("CUST-000003", "Chosen", "0712345678"),
        ("", "A", "0712345679"),
        ("", "B", "0712345670"),
    ]
    r = await post_body(CUSTOMERS, csv_text(HEADER, rows))
    assert r.status_code == 201, r.text
    assert [c["code"] for c in await query(STORED)] == [
        "CUST-000001",
        "CUST-000003",
        "CUST-000004",
        "cust-000002",
    ]


async def test_duplicate_codes_fail_and_nothing_is_stored(
    post_body: Poster,
    new_customer: Callable[..., Awaitable[dict[str, object]]],
    count_rows: Counter,
    problem: ProblemCheck,
) -> None:
    await new_customer(code="Taken-1")
    rows = [
        ("A-1", "First", "0712345678"),
        ("a-1", "Same code, other case", "0712345679"),
        ("TAKEN-1", "Stored already", "0712345670"),
        ("", "Fine", "0712345671"),
        ("A-1", "Third use", "0700 000"),
    ]
    body = problem(await post_body(CUSTOMERS, csv_text(HEADER, rows)), 422, "validation-error")
    assert body["detail"] == "3 rows failed validation; nothing was stored."
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [
        (2, "code", "duplicate_code"),
        (3, "code", "code_taken"),
        (5, "code", "duplicate_code"),
        (5, "phone", "invalid_phone"),
    ]
    assert "row 1" in body["errors"][0]["message"]
    assert await count_rows("customers") == 1


async def test_bad_values_are_listed_per_row(
    client: httpx.AsyncClient, count_rows: Counter, problem: ProblemCheck
) -> None:
    rows = [
        {"name": "", "phone": "0712345678"},
        {"name": "Tab\tname", "phone": "0712345678", "email": "x@example.com"},
        {"code": "no spaces", "name": "ok", "phone": 712345678},
        "not an object",
    ]
    body = problem(await client.post(CUSTOMERS, json=rows), 422, "validation-error")
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [
        (1, "name", "too_short"),
        (2, "email", "extra_forbidden"),
        (2, "name", "value_error"),
        (3, "code", "string_pattern_mismatch"),
        (3, "phone", "string_type"),
        (4, "row", "object_type"),
    ]
    assert await count_rows("customers") == 0


async def test_hostile_names_are_stored_verbatim(client: httpx.AsyncClient, query: Query) -> None:
    names = [
        "Robert'); DROP TABLE customers;--",
        "{customer_name} %s \\N \\. ,\"'",
        "\u202eevil\u202c \U0001f600 Ünïcödé",
    ]
    rows = [{"name": n, "phone": f"07123456{i:02d}"} for i, n in enumerate(names)]
    r = await client.post(CUSTOMERS, json=rows)
    assert r.status_code == 201, r.text
    assert sorted(c["name"] for c in await query(STORED)) == sorted(names)


async def test_roles_are_required(client_as: ClientAs, problem: ProblemCheck) -> None:
    rows = [{"name": "x", "phone": "0712345678"}]
    problem(await client_as("customer").post(CUSTOMERS, json=rows), 403, "forbidden")
    r = await client_as("clerk").post(CUSTOMERS, json=rows)
    assert r.status_code == 201, r.text
