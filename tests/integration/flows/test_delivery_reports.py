"""Delivery reports from the sandbox, through the API's callback, update the orders'
notifications; the sandbox sends every report twice, and the second changes nothing."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig, ReportOverride
from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.core.settings import Settings
from duka.db.engine import Database
from tests.support.sms_flows import (
    LiveApi,
    add_customers,
    create_orders,
    running_runner,
    settings_for,
    statuses,
    wait_until,
)

pytestmark = pytest.mark.anyio

SECRET = "callback-secret-for-tests"
ORDERS = 6


async def test_reports_mark_delivered_or_failed_and_replays_change_nothing(
    prefect_server: PrefectServer, db: Database, database_url: str
) -> None:
    customers = await add_customers(db, ORDERS)
    unreachable = customers[0][1]
    api_settings = Settings(
        database_url=database_url, environment="test", at_callback_secret=SecretStr(SECRET)
    )
    faults = FaultConfig(
        report_delay_s=0.1,
        duplicate_report_rate=1.0,
        report_by_number={
            unreachable: ReportOverride(status="Failed", failure_reason="UserInBlackList")
        },
    )
    with LiveApi(api_settings) as api:
        callback = (
            f"http://africastalking:{SECRET}@127.0.0.1:{api.port}"
            "/api/v1/webhooks/africastalking/delivery"
        )
        config = SandboxConfig(port=0, api_key="k", callback_url=callback, faults=faults)
        with SandboxServer(config) as sandbox:
            settings = settings_for(database_url, sandbox)
            async with running_runner(settings):
                await create_orders(db, settings, customers)

                async def reported() -> bool:
                    seen = await statuses(db)
                    return seen == {"delivered": ORDERS - 1, "failed": 1}

                try:
                    await wait_until(reported, 120, "every report to arrive")
                except AssertionError:
                    raise AssertionError(
                        await statuses(db),
                        [
                            (m.to, m.delivery_status, m.reports_sent)
                            for m in sandbox.state.inbox.find()
                        ],
                    ) from None

                async def replayed() -> bool:
                    return all(m.reports_sent == 2 for m in sandbox.state.inbox.find())

                await wait_until(replayed, 30, "every report to arrive twice")

    async with db.autocommit() as conn:
        failed = (
            await conn.execute(
                text("SELECT last_error FROM notifications WHERE recipient = :p"),
                {"p": unreachable},
            )
        ).scalar_one()
        stored = (await conn.execute(text("SELECT count(*) FROM delivery_reports"))).scalar_one()
        unmatched = (
            await conn.execute(
                text("SELECT count(*) FROM delivery_reports WHERE notification_id IS NULL")
            )
        ).scalar_one()
    assert failed == "not delivered: Failed (UserInBlackList)"
    assert (stored, unmatched) == (ORDERS, 0), "one stored report per message"
