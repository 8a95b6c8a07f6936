"""Hostile text is data: stored and answered verbatim as JSON, copied literally into the SMS
(except bidi controls, which the SMS never carries)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.template import BIDI_CONTROLS

pytestmark = pytest.mark.anyio

Problem = Callable[[httpx.Response, int, str], dict[str, Any]]

HOSTILE = [
    pytest.param("<script>alert(1)</script>", id="script-tag"),
    pytest.param('"><img src=x onerror=alert(1)>', id="attribute-breakout"),
    pytest.param("'; DROP TABLE customers; --", id="sql-injection"),
    pytest.param("Robert'); DELETE FROM orders WHERE ('1'='1", id="sql-injection-2"),
    pytest.param("evil\u202etxt.exe", id="rlo-override"),
    pytest.param("\u2067\u202dRLI-LRO\u202c\u2069 \u200fmark", id="bidi-isolates"),
    pytest.param('=HYPERLINK("http://x") +1 -2 @SUM(A1)', id="formula-prefixes"),
    pytest.param("\u200bzero\u200dwidth\ufeff", id="zero-width"),
    pytest.param("Mama Mboga 🥬🍅👩🏾‍🌾", id="emoji"),
    pytest.param("{order_ref} {customer_name} {amount}", id="template-placeholders"),
    pytest.param("{{order_ref}} {0} {unknown} %s %(amount)s ${item}", id="format-syntax"),
    pytest.param("\\u0000 \\n ../../etc/passwd", id="escaped-looking"),
    pytest.param("Ωμέγα 中文 עברית العربية", id="scripts"),
    pytest.param("100% _real_ \\ backslash", id="like-wildcards"),
]


async def sms_body(db: Database, order_id: str) -> str:
    async with db.autocommit() as conn:
        body = (
            await conn.execute(
                text("SELECT body FROM notifications WHERE order_id = :id"),
                {"id": uuid.UUID(order_id)},
            )
        ).scalar_one()
    return str(body)


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_hostile_names_and_items_round_trip_verbatim(
    client: httpx.AsyncClient, db: Database, hostile: str
) -> None:
    c = await client.post("/api/v1/customers", json={"name": hostile, "phone": "0712345678"})
    assert c.status_code == 201, c.text
    assert c.headers["content-type"] == "application/json"
    assert c.json()["name"] == hostile
    customer = c.json()

    got = await client.get(f"/api/v1/customers/{customer['id']}")
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.json()["name"] == hostile

    found = await client.get("/api/v1/customers", params={"q": hostile})
    assert [x["id"] for x in found.json()["items"]] == [customer["id"]]

    o = await client.post(
        "/api/v1/orders", json={"customer_id": customer["id"], "item": hostile, "amount": "1250"}
    )
    assert o.status_code == 201, o.text
    assert o.headers["content-type"] == "application/json"
    order = o.json()
    assert order["item"] == hostile
    assert (await client.get(f"/api/v1/orders/{order['id']}")).json()["item"] == hostile

    # The SMS carries the text without bidi controls (an override would reorder the rest).
    body = await sms_body(db, order["id"])
    shown = "".join(ch for ch in hostile if ch not in BIDI_CONTROLS)
    assert body.startswith(f"Hi {shown}, we received your order {order['reference']}: ")
    assert f": 1 x {shown}, KES 1,250.00 on " in body
    assert not BIDI_CONTROLS & set(body)

    async with db.autocommit() as conn:
        tables = (
            await conn.execute(text("SELECT count(*) FROM pg_tables WHERE tablename = 'customers'"))
        ).scalar_one()
    assert tables == 1


async def test_placeholders_in_customer_data_are_not_expanded(
    client: httpx.AsyncClient, db: Database
) -> None:
    c = await client.post("/api/v1/customers", json={"name": "{item}", "phone": "0712345678"})
    o = await client.post(
        "/api/v1/orders",
        json={"customer_id": c.json()["id"], "item": "{customer_name}{order_ref}", "amount": 5},
    )
    body = await sms_body(db, o.json()["id"])
    assert body.startswith("Hi {item}, we received your order ORD-")
    assert ": 1 x {customer_name}{order_ref}, KES 5.00 on " in body
    assert body.count("ORD-") == 1


@pytest.mark.parametrize(
    "hostile", ["<script>", "'; DROP TABLE customers; --", "a\u202eb", "{order_ref}"]
)
async def test_hostile_codes_are_refused_by_the_code_pattern(
    client: httpx.AsyncClient, hostile: str, problem: Problem
) -> None:
    r = await client.post(
        "/api/v1/customers", json={"code": hostile, "name": "X", "phone": "0712345678"}
    )
    answer = problem(r, 422, "validation-error")
    assert [e["field"] for e in answer["errors"]] == ["code"]
    # The problem echoes nothing as HTML: it is JSON, and the value is not reflected.
    assert hostile not in answer["detail"]
