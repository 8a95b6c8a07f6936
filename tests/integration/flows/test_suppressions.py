"""The suppression flow end to end: the sandbox blacklists a number (AT answers
UserInBlacklist) → that order's SMS fails and the number is suppressed, its next order is
stored `suppressed` and never sent; the sandbox's opt-out callback reaches the API → the
next order of that number is suppressed too; an admin clears both → their next orders are
sent (and delivered)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import text

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.core.settings import Settings
from duka.db.engine import Database
from tests.support.sms_flows import (
    LiveApi,
    add_customers,
    api_client,
    create_orders,
    inbox_counts,
    running_runner,
    settings_for,
    wait_until,
)

pytestmark = pytest.mark.anyio

SECRET = "callback-secret-for-tests"
SUPPRESSIONS = "/api/v1/sms-suppressions"


async def notification_of(db: Database, order_id: object) -> tuple[str, int, str | None]:
    async with db.autocommit() as conn:
        found = (
            await conn.execute(
                text("SELECT status, attempts, last_error FROM notifications WHERE order_id = :o"),
                {"o": order_id},
            )
        ).one()
    return found.status, found.attempts, found.last_error


def blacklisted_counted() -> float:
    labels = {"source": "blacklisted"}
    return REGISTRY.get_sample_value("duka_sms_suppressions_total", labels) or 0.0


async def suppressed_numbers(api: httpx.AsyncClient) -> dict[str, str]:
    answer = await api.get(SUPPRESSIONS)
    assert answer.status_code == 200, answer.text
    return {item["phone"]: item["source"] for item in answer.json()["items"]}


async def test_blacklisted_and_opted_out_numbers_are_suppressed_until_an_admin_clears_them(
    prefect_server: PrefectServer, db: Database, database_url: str
) -> None:
    [blacklisted, opted_out] = await add_customers(db, 2)
    blacklisted_phone, opted_out_phone = blacklisted[1], opted_out[1]
    api_settings = Settings(
        database_url=database_url, environment="test", at_callback_secret=SecretStr(SECRET)
    )
    with LiveApi(api_settings) as live:
        base = (
            f"http://africastalking:{SECRET}@127.0.0.1:{live.port}/api/v1/webhooks/africastalking"
        )
        config = SandboxConfig(
            port=0,
            api_key="k",
            callback_url=f"{base}/delivery",
            opt_out_url=f"{base}/opt-out",
            faults=FaultConfig(report_delay_s=0.05),
        )
        with SandboxServer(config) as sandbox:
            settings = settings_for(database_url, sandbox)
            counted = blacklisted_counted()
            # AT has the first number on its blacklist; Duka does not know yet.
            sandbox.state.blacklist.add(blacklisted_phone)
            async with running_runner(settings), api_client(settings, db) as api:
                [first] = await create_orders(db, settings, [blacklisted])

                async def refused() -> bool:
                    return (await notification_of(db, first))[0] == "failed"

                await wait_until(refused, 60, "the blacklisted send to fail")
                assert blacklisted_counted() == counted + 1
                _, attempts, error = await notification_of(db, first)
                assert (attempts, (error or "").split(":")[0]) == (1, "UserInBlacklist")
                assert await suppressed_numbers(api) == {blacklisted_phone: "blacklisted"}

                # The next order of that number is stored suppressed and never sent.
                [second] = await create_orders(db, settings, [blacklisted])
                shown = (await api.get(f"/api/v1/orders/{second}")).json()["notification"]
                assert (shown["status"], shown["attempts"]) == ("suppressed", 0)

                # The other customer opts out with AT: its callback reaches the API.
                async with httpx.AsyncClient(base_url=sandbox.base_url) as control:
                    opted = await control.post(
                        "/_sandbox/opt-out",
                        json={"phoneNumber": opted_out_phone, "senderId": "DUKA"},
                    )
                    assert opted.json()["notified"] is True, opted.text
                assert await suppressed_numbers(api) == {
                    blacklisted_phone: "blacklisted",
                    opted_out_phone: "opt_out",
                }
                [third] = await create_orders(db, settings, [opted_out])
                assert (await notification_of(db, third))[:2] == ("suppressed", 0)

                # The admin clears both (and the customers opt back in with AT).
                for phone in (blacklisted_phone, opted_out_phone):
                    sandbox.state.blacklist.remove(phone)
                    cleared = await api.delete(f"{SUPPRESSIONS}/{phone.replace('+', '%2B')}")
                    assert cleared.status_code == 204, cleared.text
                assert await suppressed_numbers(api) == {}
                again = await api.delete(f"{SUPPRESSIONS}/%2B254700000001")
                assert again.status_code == 404
                assert again.headers["content-type"].startswith("application/problem+json")

                after = await create_orders(db, settings, [blacklisted, opted_out])

                async def delivered() -> bool:
                    found = [(await notification_of(db, o))[0] for o in after]
                    return found == ["delivered", "delivered"]

                await wait_until(delivered, 60, "the cleared numbers' SMS to be delivered")
                # What AT billed is on the notification, as REST and GraphQL answer it.
                shown = (await api.get(f"/api/v1/orders/{after[0]}")).json()["notification"]
                assert (
                    shown["encoding"],
                    shown["segments"],
                    shown["cost_amount"],
                    shown["cost_currency"],
                ) == ("GSM-7", 1, "0.8000", "KES")
                graphql = await api.post(
                    "/graphql",
                    json={
                        "query": "query($id: UUID!) { order(id: $id) { notification "
                        "{ status encoding segments cost { amount currency } } } }",
                        "variables": {"id": str(after[1])},
                    },
                )
                assert graphql.json()["data"]["order"]["notification"] == {
                    "status": "DELIVERED",
                    "encoding": "GSM7",
                    "segments": 1,
                    "cost": {"amount": "0.8000", "currency": "KES"},
                }, graphql.text

            # Nothing was sent while they were suppressed: one SMS each, after the clearing.
            assert inbox_counts(sandbox) == {blacklisted_phone: 1, opted_out_phone: 1}
            assert (await notification_of(db, second))[0] == "suppressed"
