"""Bulk orders: JSON, CSV or a form file in; orders and their pending SMS out, or nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from duka.core.settings import Settings
from duka.notifications.template import BIDI_CONTROLS
from tests.integration.api.uploads.uploads_support import (
    ORDER_HEADER,
    ORDERS,
    STORED_ORDERS,
    ClientAs,
    Counter,
    Poster,
    ProblemCheck,
    Query,
    Seed,
    csv_text,
    expected_sms,
)

pytestmark = pytest.mark.anyio

HEADER = ORDER_HEADER
STORED = STORED_ORDERS


async def test_json_array_creates_orders_with_pending_sms(
    client: httpx.AsyncClient, seed_customers: Seed, query: Query, settings: Settings
) -> None:
    await seed_customers(2)
    [second] = await query("SELECT id FROM customers WHERE code = 'CUST-000002'")
    rows = [
        {
            "customer_code": "cust-000001",
            "item": "Maize flour 2kg",
            "quantity": 2,
            "amount": "1250",
            "currency": "kes",
            "ordered_at": "2026-11-26T14:05:00+03:00",
        },
        {
            "customer_id": str(second["id"]),
            "item": "Sugar 1kg",
            "amount": 180.5,
            "ordered_at": "2026-11-26T15:00:00Z",
        },
    ]
    r = await client.post(ORDERS, json=rows)
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "orders", "created": 2}
    stored = await query(STORED)
    assert [
        (s["code"], s["item"], s["quantity"], s["amount"], s["currency"], s["ordered_at"])
        for s in stored
    ] == [
        (
            "CUST-000001",
            "Maize flour 2kg",
            2,
            Decimal("1250.00"),
            "KES",
            datetime(2026, 11, 26, 11, 5, tzinfo=UTC),
        ),
        (
            "CUST-000002",
            "Sugar 1kg",
            1,
            Decimal("180.50"),
            "KES",
            datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
        ),
    ]
    for s in stored:
        assert (s["status"], s["attempts"], s["channel"]) == ("pending", 0, "sms")
        assert s["recipient"] == s["phone"]
        assert s["body"] == expected_sms(settings, s)
        assert s["created_by"]


async def test_uploaded_orders_read_back_like_single_ones(
    client: httpx.AsyncClient, seed_customers: Seed
) -> None:
    await seed_customers(1)
    r = await client.post(
        ORDERS, json=[{"customer_code": "CUST-000001", "item": "Rice", "amount": "975"}]
    )
    assert r.status_code == 201, r.text
    single = await client.post(
        "/api/v1/orders", json={"customer_code": "CUST-000001", "item": "Rice", "amount": "975"}
    )
    assert single.status_code == 201, single.text
    page = (await client.get("/api/v1/orders")).json()["items"]
    assert len(page) == 2
    uploaded = next(o for o in page if o["id"] != single.json()["id"])
    same = ("customer_code", "item", "quantity", "amount", "currency", "created_by")
    assert {k: uploaded[k] for k in same} == {k: single.json()[k] for k in same}
    assert uploaded["reference"] == "ORD-" + uuid.UUID(uploaded["id"]).hex[:8].upper()
    assert uploaded["notification"]["status"] == "pending"


async def test_csv_body_with_quotes_and_defaults(
    post_body: Poster, seed_customers: Seed, query: Query, settings: Settings
) -> None:
    await seed_customers(1)
    before = datetime.now(UTC)
    body = (
        "Customer_Code , ITEM,amount\r\n"
        'CUST-000001,"Cooking oil, 3L",1050.5\r\n'
        '"CUST-000001","He said ""fresh""",7\r\n'
    )
    r = await post_body(ORDERS, body)
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "orders", "created": 2}
    stored = await query(STORED)
    assert sorted(s["item"] for s in stored) == ["Cooking oil, 3L", 'He said "fresh"']
    for s in stored:
        assert (s["quantity"], s["currency"]) == (1, settings.default_currency)
        assert before - timedelta(seconds=1) <= s["ordered_at"] <= datetime.now(UTC)
        assert s["body"] == expected_sms(settings, s)


async def test_multipart_file(
    client: httpx.AsyncClient, seed_customers: Seed, query: Query
) -> None:
    await seed_customers(1)
    content = csv_text(
        HEADER, [("CUST-000001", "Tea leaves", 3, "99.99", "UGX", "2026-11-20T08:00:00+03:00")]
    )
    r = await client.post(ORDERS, files={"file": ("orders.csv", content.encode(), "text/csv")})
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "orders", "created": 1}
    [stored] = await query(STORED)
    assert (stored["item"], stored["currency"], stored["amount"]) == (
        "Tea leaves",
        "UGX",
        Decimal("99.99"),
    )


async def test_every_bad_row_is_listed_and_nothing_is_stored(
    post_body: Poster, seed_customers: Seed, count_rows: Counter, problem: ProblemCheck
) -> None:
    await seed_customers(1)
    rows = [
        ("CUST-000001", "Good", 1, "10", "KES", "2026-11-20T08:00:00+03:00"),
        ("CUST-000001", "", 1, "10", "", ""),
        ("CUST-000001", "Bad amount", 1, "1.234", "KES", ""),
        ("NOPE-1", "Unknown customer", 0, "-5", "XXY", "2026-11-20T08:00:00"),
        ("CUST-000001", "Good too", 2, "20", "", ""),
        ("bad code!", "x" * 201, "many", "9999999999.999", "", "yesterday"),
        ("nope-2", "Unknown too", 1, "1", "", ""),
    ]
    r = await post_body(ORDERS, csv_text(HEADER, rows))
    body = problem(r, 422, "validation-error")
    assert body["detail"] == "5 rows failed validation; nothing was stored."
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [
        (2, "item", "missing"),
        (3, "amount", "decimal_max_places"),
        (4, "customer_code", "unknown_customer"),
        (4, "quantity", "greater_than_equal"),
        (4, "amount", "greater_than"),
        (4, "currency", "value_error"),
        (4, "ordered_at", "timezone_aware"),
        (6, "customer_code", "string_pattern_mismatch"),
        (6, "item", "too_long"),
        (6, "quantity", "int_parsing"),
        (6, "amount", "decimal_max_digits"),
        (6, "ordered_at", "datetime_from_date_parsing"),
        (7, "customer_code", "unknown_customer"),
    ]
    assert all(e["message"] for e in body["errors"])
    assert (await count_rows("orders"), await count_rows("notifications")) == (0, 0)


async def test_unknown_customers_by_code_and_by_id(
    client: httpx.AsyncClient, seed_customers: Seed, count_rows: Counter, problem: ProblemCheck
) -> None:
    await seed_customers(1)
    rows = [
        {"customer_code": "CUST-000001", "item": "ok", "amount": "1"},
        {"customer_id": str(uuid.uuid4()), "item": "x", "amount": "1"},
        {"customer_code": "CUST-000009", "item": "x", "amount": "1"},
        {
            "customer_code": "CUST-000001",
            "customer_id": str(uuid.uuid4()),
            "item": "x",
            "amount": "1",
        },
        {"item": "x", "amount": "1", "colour": "red"},
    ]
    body = problem(await client.post(ORDERS, json=rows), 422, "validation-error")
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [
        (2, "customer_id", "unknown_customer"),
        (3, "customer_code", "unknown_customer"),
        (4, "customer_id", "customer_reference"),
        (5, "colour", "extra_forbidden"),
        (5, "customer_id", "customer_reference"),
    ]
    assert await count_rows("orders") == 0


async def test_a_customer_login_may_only_upload_its_own_orders(
    client_as: ClientAs, seed_customers: Seed, count_rows: Counter
) -> None:
    await seed_customers(2)
    own = client_as("customer")  # a login of CUST-000001
    rows = [{"customer_code": "CUST-000001", "item": "mine", "amount": "1"}]
    r = await own.post(ORDERS, json=rows)
    assert r.status_code == 201, r.text
    r = await own.post(
        ORDERS, json=[*rows, {"customer_code": "CUST-000002", "item": "no", "amount": "1"}]
    )
    assert r.status_code == 422
    assert [(e["row"], e["code"]) for e in r.json()["errors"]] == [(2, "unknown_customer")]
    assert await count_rows("orders") == 1


async def test_roles_are_required(client_as: ClientAs, problem: ProblemCheck) -> None:
    rows = [{"customer_code": "CUST-000001", "item": "x", "amount": "1"}]
    problem(await client_as("analyst").post(ORDERS, json=rows), 403, "forbidden")
    r = await client_as(None).post(ORDERS, json=rows)
    assert r.status_code == 401


async def test_the_error_list_is_capped_but_every_bad_row_is_counted(
    post_body: Poster, seed_customers: Seed, problem: ProblemCheck, count_rows: Counter
) -> None:
    await seed_customers(1)
    rows = [("CUST-000001", f"item {i}", 1, "0" if i % 2 else "1", "", "") for i in range(3000)]
    body = problem(await post_body(ORDERS, csv_text(HEADER, rows)), 422, "validation-error")
    assert body["detail"] == (
        "1500 rows failed validation; nothing was stored. Only the first 1000 errors are listed."
    )
    assert len(body["errors"]) == 1000
    assert [e["row"] for e in body["errors"][:3]] == [2, 4, 6]
    assert await count_rows("orders") == 0


async def test_hostile_strings_are_stored_verbatim_and_texted_without_bidi_controls(
    client: httpx.AsyncClient, seed_customers: Seed, query: Query, settings: Settings
) -> None:
    await seed_customers(1)
    hostile = [
        "Robert'); DROP TABLE orders;--",
        "{customer_name} {order_ref} %s %(x)s $1 \\N \\.",
        '<script>alert(1)</script> & "quotes" , commas',
        "\u202egnp.exe \U0001f600 Ünïcödé ẞ 漢字",
        "back\\slash\\t not a tab",
    ]
    rows = [("CUST-000001", item, 1, "1", "", "") for item in hostile]
    content = csv_text(HEADER, rows).encode()
    r = await client.post(ORDERS, files={"file": ("orders.csv", content, "text/csv")})
    assert r.status_code == 201, r.text
    stored = await query(STORED)
    assert sorted(s["item"] for s in stored) == sorted(hostile)
    for s in stored:
        # The SMS carries the item without bidi controls (an override would reorder the rest).
        shown = "".join(c for c in s["item"] if c not in BIDI_CONTROLS)
        assert shown in s["body"]
        assert "\u202e" not in s["body"]
        assert s["body"] == expected_sms(settings, s)


async def test_an_idempotency_key_replays_the_first_answer(
    post_body: Poster, seed_customers: Seed, count_rows: Counter, problem: ProblemCheck
) -> None:
    await seed_customers(1)
    content = csv_text(HEADER, [("CUST-000001", "Once", 1, "5", "", "")])
    first = await post_body(ORDERS, content, **{"Idempotency-Key": "upload-1"})
    again = await post_body(ORDERS, content, **{"Idempotency-Key": "upload-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"kind": "orders", "created": 1}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await count_rows("orders") == 1
    other = csv_text(HEADER, [("CUST-000001", "Other", 1, "5", "", "")])
    problem(
        await post_body(ORDERS, other, **{"Idempotency-Key": "upload-1"}),
        422,
        "idempotency-key-reused",
    )
    assert await count_rows("orders") == 1


async def test_a_suppressed_numbers_uploaded_orders_are_stored_suppressed(
    client: httpx.AsyncClient, seed_customers: Seed, query: Query
) -> None:
    await seed_customers(2)
    [listed] = await query("SELECT phone FROM customers WHERE code = 'CUST-000002'")
    await query(
        "INSERT INTO sms_suppressions (phone, source) VALUES (:p, 'opt_out') RETURNING phone",
        p=listed["phone"],
    )
    rows = [
        {"customer_code": code, "item": "Tea", "amount": "10"}
        for code in ("CUST-000001", "CUST-000002", "CUST-000002")
    ]
    r = await client.post(ORDERS, json=rows)
    assert r.status_code == 201, r.text
    stored = await query(STORED)
    assert sorted((s["code"], s["status"], s["attempts"]) for s in stored) == [
        ("CUST-000001", "pending", 0),
        ("CUST-000002", "suppressed", 0),
        ("CUST-000002", "suppressed", 0),
    ]
