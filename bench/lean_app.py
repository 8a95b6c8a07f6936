"""The leanest endpoint doing Duka's order write: FastAPI routing, raw asyncpg, no
validation, no middleware, no dependency injection, no SQLAlchemy.

It runs the same two statements as duka/orders/service.py (customer lookup by code, then
one INSERT ... CTE writing the order and its SMS outbox row) and answers with the same
JSON shape, so the Duka/lean ratio is what Duka's layers cost. Not a product: bad input
gives a 500 here. Served by `uvicorn bench.lean_app:app`; reads BENCH_DATABASE_URL.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import FastAPI, Request, Response

NAIROBI = ZoneInfo("Africa/Nairobi")

LOOKUP = "SELECT id, code, name, phone FROM customers WHERE lower(code) = $1"

INSERT = """
WITH o AS (
    INSERT INTO orders (id, customer_id, item, quantity, amount, currency, ordered_at,
                        created_by)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    RETURNING id, created_at
), n AS (
    INSERT INTO notifications (id, order_id, channel, recipient, body)
    SELECT $9, o.id, 'sms', $10, $11 FROM o
    RETURNING status, attempts, updated_at
)
SELECT o.created_at, n.status, n.attempts, n.updated_at FROM o, n
"""


async def _no_reset(conn: asyncpg.Connection) -> None:
    """Skip asyncpg's default reset query on release (one more round trip per request):
    these statements leave no session state behind, and Duka's pool sends nothing either."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Same connection budget per worker as Duka's engine (a steady pool of 20).
    app.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_DATABASE_URL"], min_size=20, max_size=20, reset=_no_reset
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/healthz")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@app.post("/api/v1/orders")
async def create_order(request: Request) -> Response:
    data: dict[str, Any] = json.loads(await request.body())
    amount = Decimal(data["amount"])
    quantity = int(data.get("quantity", 1))
    currency = data.get("currency") or "KES"
    order_id = uuid.uuid4()
    ordered_at = datetime.now(UTC)
    reference = "ORD-" + order_id.hex[:8].upper()
    async with request.app.state.pool.acquire() as conn:
        customer = await conn.fetchrow(LOOKUP, str(data["customer_code"]).lower())
        if customer is None:
            return Response(b'{"title":"unknown customer"}', status_code=422)
        body = (
            f"Hi {customer['name']}, we received your order {reference}: {quantity} x "
            f"{data['item']}, {currency} {amount:,.2f} on "
            f"{ordered_at.astimezone(NAIROBI).strftime('%d %b %H:%M')}. Thank you!"
        )
        row = await conn.fetchrow(
            INSERT,
            order_id,
            customer["id"],
            data["item"],
            quantity,
            amount,
            currency,
            ordered_at,
            "dev-user",
            uuid.uuid4(),
            customer["phone"],
            body,
        )
    payload = {
        "id": str(order_id),
        "reference": reference,
        "customer_id": str(customer["id"]),
        "customer_code": customer["code"],
        "item": data["item"],
        "quantity": quantity,
        "amount": str(amount),
        "currency": currency,
        "ordered_at": ordered_at.isoformat(),
        "created_at": row["created_at"].isoformat(),
        "created_by": "dev-user",
        "notification": {
            "status": row["status"],
            "attempts": row["attempts"],
            "last_error": None,
            "provider_message_id": None,
            "updated_at": row["updated_at"].isoformat(),
            "sent_at": None,
            "delivered_at": None,
        },
    }
    return Response(
        json.dumps(payload).encode(),
        status_code=201,
        media_type="application/json",
        headers={"location": f"/api/v1/orders/{order_id}"},
    )
