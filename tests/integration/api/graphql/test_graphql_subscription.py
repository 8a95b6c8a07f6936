"""`orderNotification` over graphql-transport-ws, against the API served by uvicorn on the
real database with the real token issuer: the outbox's own statements (those the runner
runs) and a delivery report posted to the webhook move the SMS, and each state arrives in
order; another customer's order is refused; an expiring token closes the socket; and all
subscribers of a worker share one LISTEN connection."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
import websockets
from pydantic import SecretStr
from sqlalchemy import text

from duka.core.settings import Settings
from duka.db.engine import Database
from duka.notifications.changes import CHANNEL
from duka.notifications.outbox.store import Outbox
from tests.integration.api.graphql.conftest import (
    PROTOCOL,
    WAIT_S,
    connect,
    next_message,
    next_state,
    subscribe,
)
from tests.support.keycloak import Tokens
from tests.support.sms_flows import LiveApi

pytestmark = pytest.mark.anyio

SECRET = "subscription-callback-secret"
OWN = "CUST-000001"  # the demo customer's code
CUSTOMER_VIEW = "subscription($id: UUID!) { orderNotification(orderId: $id) { status } }"


@pytest.fixture
def api(settings: Settings, db: Database) -> Iterator[LiveApi]:
    with LiveApi(settings.model_copy(update={"at_callback_secret": SecretStr(SECRET)})) as live:
        yield live


@pytest.fixture
async def http(api: LiveApi, tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{api.port}", auth=tokens.auth("admin"), timeout=30
    ) as client:
        yield client


async def new_order(http: httpx.AsyncClient, code: str) -> str:
    r = await http.post(
        "/api/v1/customers", json={"code": code, "name": "N", "phone": "0712000001"}
    )
    assert r.status_code == 201, r.text
    r = await http.post(
        "/api/v1/orders", json={"customer_code": code, "item": "tea", "amount": "5"}
    )
    assert r.status_code == 201, r.text
    order_id: str = r.json()["id"]
    return order_id


async def test_states_arrive_in_order_through_the_runners_statements_and_the_webhook(
    api: LiveApi, http: httpx.AsyncClient, db: Database, tokens: Tokens
) -> None:
    order_id = await new_order(http, "CUST-SUB-1")
    outbox = Outbox(db)
    async with db.begin() as conn:
        notification_id = (
            await conn.execute(
                text("SELECT id FROM notifications WHERE order_id = :o"), {"o": order_id}
            )
        ).scalar_one()
    ws = await connect(api, tokens.token("admin"))
    await subscribe(ws, order_id)
    started = time.monotonic()
    assert await next_state(ws) == {"status": "PENDING", "attempts": 0, "providerMessageId": None}

    claim = uuid.uuid4()
    assert [c.id for c in await outbox.claim(claim, 10, 60.0)] == [notification_id]
    assert (await next_state(ws))["status"] == "SENDING"
    assert await outbox.begin_attempts([(notification_id, claim)]) == [1]
    assert await next_state(ws) == {"status": "SENDING", "attempts": 1, "providerMessageId": None}
    assert await outbox.accept_many([(notification_id, "ATXid_sub1")]) == [True]
    assert await next_state(ws) == {
        "status": "SENT",
        "attempts": 1,
        "providerMessageId": "ATXid_sub1",
    }
    r = await http.post(
        "/api/v1/webhooks/africastalking/delivery",
        data={"id": "ATXid_sub1", "status": "Success", "phoneNumber": "+254712000001"},
        auth=("africastalking", SECRET),
    )
    assert r.status_code == 200, r.text
    assert (await next_state(ws))["status"] == "DELIVERED"
    assert time.monotonic() - started < WAIT_S
    await ws.close()


async def test_another_customers_order_is_refused_and_own_order_hides_staff_fields(
    api: LiveApi, http: httpx.AsyncClient, tokens: Tokens
) -> None:
    own = await new_order(http, OWN)
    other = await new_order(http, "CUST-SUB-2")
    ws = await connect(api, tokens.token("customer"))
    await subscribe(ws, other)
    refused = await next_message(ws)
    assert refused["type"] in ("error", "next"), refused
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"]
    assert "CUST-SUB-2" not in json.dumps(refused)
    assert refused["payload"].get("data") is None
    if refused["type"] == "next":
        assert (await next_message(ws))["type"] == "complete"

    await subscribe(ws, own, CUSTOMER_VIEW)
    assert await next_state(ws) == {"status": "PENDING"}
    await ws.close()
    ws = await connect(api, tokens.token("customer"))
    await subscribe(ws, own)
    staff_only = await next_message(ws)
    assert {e["extensions"]["code"] for e in staff_only["payload"]["errors"]} == {"FORBIDDEN"}
    await ws.close()


async def test_no_token_is_refused_and_an_expiring_token_closes_the_socket(
    api: LiveApi, http: httpx.AsyncClient, mint: Callable[..., str]
) -> None:
    order_id = await new_order(http, "CUST-SUB-3")
    ws = await websockets.connect(f"ws://127.0.0.1:{api.port}/graphql", subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    with pytest.raises(websockets.ConnectionClosed) as refused:
        await asyncio.wait_for(ws.recv(), WAIT_S)
    assert refused.value.rcvd is not None
    assert refused.value.rcvd.code == 4403

    ws = await connect(api, mint(exp=int(time.time()) + 3))
    await subscribe(ws, order_id)
    assert (await next_state(ws))["status"] == "PENDING"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), WAIT_S)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_many_subscribers_share_one_listen_connection(
    api: LiveApi, http: httpx.AsyncClient, db: Database, tokens: Tokens
) -> None:
    orders = [await new_order(http, f"CUST-SUB-M{i}") for i in range(3)]
    sockets = []
    for i in range(12):
        ws = await connect(api, tokens.token("admin"))
        await subscribe(ws, orders[i % 3])
        assert (await next_state(ws))["status"] == "PENDING"
        sockets.append(ws)
    async with db.begin() as conn:
        listeners = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = 'duka-graphql-changes'"
                )
            )
        ).scalar_one()
        # The one connection LISTENs on the change channel.
        await conn.execute(text(f"SELECT pg_notify('{CHANNEL}', '')"))
    assert listeners == 1
    # One statement moving all three orders: every subscriber hears its own order.
    async with db.begin() as conn:
        await conn.execute(
            text(
                "UPDATE notifications SET status = 'failed', last_error = 'x' "
                "WHERE order_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": orders},
        )
    for ws in sockets:
        assert (await next_state(ws))["status"] == "FAILED"
        await ws.close()
