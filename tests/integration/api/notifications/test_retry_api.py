"""POST /api/v1/orders/{id}/notification/retry: an admin sends a failed SMS again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.wakeup import CHANNEL

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]
ClientAs = Callable[[str | None], httpx.AsyncClient]


@pytest.fixture
def order(
    new_customer: Callable[..., Awaitable[JsonObject]],
    new_order: Callable[..., Awaitable[JsonObject]],
) -> Callable[[], Awaitable[str]]:
    async def make() -> str:
        customer = await new_customer()
        return str((await new_order(customer["id"]))["id"])

    return make


async def set_notification(db: Database, order_id: str, **values: object) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    async with db.autocommit() as conn:
        await conn.execute(
            text(f"UPDATE notifications SET {assignments} WHERE order_id = :o"),
            {**values, "o": order_id},
        )


async def test_a_failed_notification_goes_back_to_pending_and_wakes_the_sender(
    client: httpx.AsyncClient, db: Database, database_url: str, order: Callable[[], Awaitable[str]]
) -> None:
    order_id = await order()
    await set_notification(
        db,
        order_id,
        status="failed",
        attempts=3,
        last_error="not delivered: Failed (DeliveryFailure)",
        provider_message_id="ATXid_old",
    )
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as listener:
        await listener.execute(f"LISTEN {CHANNEL}")
        # No body, and no Content-Type: an action needs neither.
        answer = await client.post(f"/api/v1/orders/{order_id}/notification/retry")
        assert answer.status_code == 202, answer.text
        woken = await asyncio.wait_for(anext(listener.notifies()), 5)
    assert woken.channel == CHANNEL
    body = answer.json()
    assert (body["status"], body["attempts"], body["last_error"]) == ("pending", 3, None)
    assert body["provider_message_id"] is None, "the retry is a new message"
    shown = (await client.get(f"/api/v1/orders/{order_id}")).json()["notification"]
    assert shown == body


@pytest.mark.parametrize("status", ["pending", "sending", "sent", "delivered"])
async def test_only_a_failed_notification_can_be_retried(
    client: httpx.AsyncClient,
    db: Database,
    order: Callable[[], Awaitable[str]],
    status: str,
    problem: Callable[..., JsonObject],
) -> None:
    order_id = await order()
    if status == "sending":
        await set_notification(db, order_id, status=status)
    elif status != "pending":
        await set_notification(db, order_id, status=status, provider_message_id="ATXid_x")
    answer = await client.post(f"/api/v1/orders/{order_id}/notification/retry")
    body = problem(answer, 409, "notification-not-failed")
    assert f"is {status}" in body["detail"]


async def test_a_suppressed_number_is_not_retried(
    client: httpx.AsyncClient,
    db: Database,
    order: Callable[[], Awaitable[str]],
    problem: Callable[..., JsonObject],
) -> None:
    order_id = await order()
    await set_notification(db, order_id, status="failed", last_error="UserInBlacklist: x")
    async with db.autocommit() as conn:
        await conn.execute(
            text(
                "INSERT INTO sms_suppressions (phone, source) "
                "SELECT recipient, 'opt_out' FROM notifications WHERE order_id = :o"
            ),
            {"o": order_id},
        )
    answer = await client.post(f"/api/v1/orders/{order_id}/notification/retry")
    body = problem(answer, 409, "recipient-suppressed")
    assert "suppression list" in body["detail"]
    shown = (await client.get(f"/api/v1/orders/{order_id}")).json()["notification"]
    assert shown["status"] == "failed", "nothing moved"


async def test_an_unknown_order_is_404(
    client: httpx.AsyncClient, problem: Callable[..., JsonObject]
) -> None:
    answer = await client.post(
        "/api/v1/orders/00000000-0000-4000-8000-000000000000/notification/retry"
    )
    problem(answer, 404, "not-found")


async def test_only_an_admin_may_retry(
    client_as: ClientAs,
    db: Database,
    order: Callable[[], Awaitable[str]],
    problem: Callable[..., JsonObject],
) -> None:
    order_id = await order()
    await set_notification(db, order_id, status="failed", last_error="x")
    answer = await client_as("clerk").post(f"/api/v1/orders/{order_id}/notification/retry")
    problem(answer, 403, "forbidden")
    async with db.autocommit() as conn:
        still = (
            await conn.execute(
                text("SELECT status FROM notifications WHERE order_id = :o"), {"o": order_id}
            )
        ).scalar()
    assert still == "failed"
