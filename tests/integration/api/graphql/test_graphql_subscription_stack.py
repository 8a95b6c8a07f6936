"""`orderNotification` against the whole stack, nothing moved by hand: the API served by
uvicorn (a real WebSocket) checking real Keycloak tokens, the SMS runner (its dispatch flow
run on the session's Prefect server) sending through the local Africa's Talking sandbox, and
the sandbox POSTing its delivery report to the API's webhook. The subscriber sees pending,
sent and delivered in order within seconds, with the attempts and the provider's message
id; another customer's login subscribing to the order is refused and hears nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.core.settings import Settings
from duka.db.engine import Database
from tests.integration.api.graphql.conftest import (
    CREATE_CUSTOMER,
    CREATE_ORDER,
    WAIT_S,
    connect,
    next_message,
    next_state,
    post_graphql,
    subscribe,
)
from tests.support.keycloak import Tokens
from tests.support.sms_flows import LiveApi, running_runner, settings_for

pytestmark = pytest.mark.anyio

SECRET = "stack-subscription-callback-secret"
CODE = "CUST-STACK-1"  # not the demo customer login's own (CUST-000001)
PHONE = "+254712000042"
# The sandbox reports 1.5 s after the send, so that SENT is a state of its own rather
# than folded into DELIVERED by a subscriber reading after both (subscriptions.py).
REPORT_DELAY_S = 1.5
TERMINAL = {"DELIVERED", "FAILED"}


@pytest.fixture
def api(settings: Settings, db: Database, prefect_server: PrefectServer) -> Iterator[LiveApi]:
    with LiveApi(settings.model_copy(update={"at_callback_secret": SecretStr(SECRET)})) as live:
        yield live


@pytest.fixture
def sandbox_config(api: LiveApi) -> SandboxConfig:
    """The sandbox POSTs its delivery reports to the live API's webhook."""
    callback = (
        f"http://africastalking:{SECRET}@127.0.0.1:{api.port}"
        "/api/v1/webhooks/africastalking/delivery"
    )
    return SandboxConfig(
        port=0,
        api_key="test-at-key",
        callback_url=callback,
        faults=FaultConfig(report_delay_s=REPORT_DELAY_S),
    )


@pytest.fixture
async def admin(api: LiveApi, tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{api.port}", auth=tokens.auth("admin"), timeout=30
    ) as client:
        yield client


async def new_order(admin: httpx.AsyncClient) -> str:
    """A customer and its order through GraphQL's own mutations, as the demo admin."""
    body = await post_graphql(
        admin, CREATE_CUSTOMER, {"input": {"code": CODE, "name": "Stack", "phone": PHONE}}
    )
    assert body["data"]["createCustomer"]["__typename"] == "CustomerPayload", body
    body = await post_graphql(
        admin, CREATE_ORDER, {"input": {"customerCode": CODE, "item": "Tea", "amount": "5"}}
    )
    created = body["data"]["createOrder"]
    assert created["__typename"] == "CreateOrderPayload", body
    assert created["order"]["notification"] == {"status": "PENDING"}
    order_id: str = created["order"]["id"]
    return order_id


def collapsed(states: list[dict[str, Any]]) -> list[str]:
    """The statuses seen, each run of one status counted once."""
    out: list[str] = []
    for state in states:
        if not out or out[-1] != state["status"]:
            out.append(state["status"])
    return out


async def test_pending_sent_delivered_arrive_in_order_from_the_runner_and_the_webhook(
    api: LiveApi,
    admin: httpx.AsyncClient,
    sandbox: SandboxServer,
    db: Database,
    database_url: str,
    tokens: Tokens,
) -> None:
    order_id = await new_order(admin)
    watcher = await connect(api, tokens.token("admin"))
    await subscribe(watcher, order_id)
    states = [await next_state(watcher)]
    assert states == [{"status": "PENDING", "attempts": 0, "providerMessageId": None}]

    intruder = await connect(api, tokens.token("customer"))
    await subscribe(intruder, order_id)
    refused = await next_message(intruder)
    assert refused["type"] in ("error", "next"), refused
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"]
    assert CODE not in json.dumps(refused)
    if refused["type"] == "next":
        assert refused["payload"].get("data") is None
        assert (await next_message(intruder))["type"] == "complete"

    # The runner starts only now: running, it claims an order within milliseconds of its
    # insert, before any client could subscribe and see it pending. Its listener's first
    # wake-up finds the pending row, as after a runner restart.
    started = time.monotonic()
    async with running_runner(settings_for(database_url, sandbox)):
        while states[-1]["status"] not in TERMINAL:
            states.append(await next_state(watcher))
        elapsed = time.monotonic() - started
    await watcher.close()

    assert collapsed(states) in (
        ["PENDING", "SENT", "DELIVERED"],
        ["PENDING", "SENDING", "SENT", "DELIVERED"],
    ), states
    assert elapsed < WAIT_S, states
    [message] = sandbox.state.inbox.find()
    assert message.to == PHONE
    sent = next(s for s in states if s["status"] == "SENT")
    assert sent == {"status": "SENT", "attempts": 1, "providerMessageId": message.message_id}
    assert states[-1] == {
        "status": "DELIVERED",
        "attempts": 1,
        "providerMessageId": message.message_id,
    }
    attempts = [s["attempts"] for s in states]
    assert attempts == sorted(attempts), states
    # DELIVERED came from the report the sandbox POSTed to the webhook (stored by it).
    async with db.autocommit() as conn:
        reports = (
            await conn.execute(
                text("SELECT status FROM delivery_reports WHERE provider_message_id = :m"),
                {"m": message.message_id},
            )
        ).scalars()
        assert list(reports) == ["Success"]

    # The refused subscriber heard nothing of the order while it moved.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(intruder.recv(), 0.5)
    await intruder.close()
