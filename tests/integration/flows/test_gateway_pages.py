"""A proxy in front of Africa's Talking answers 502 or 504 for messages AT recorded and
will deliver: those sends are unknown outcomes, settled from evidence, never resent blindly,
so nobody gets a second SMS."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.db.engine import Database
from tests.support.sms_flows import (
    add_customers,
    create_orders,
    inbox_counts,
    running_runner,
    settings_for,
    settled,
)

pytestmark = pytest.mark.anyio

ORDERS = 40


async def test_proxy_gateway_pages_after_the_message_was_recorded_send_nothing_twice(
    prefect_server: PrefectServer, db: Database, sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.state.set_faults(
        FaultConfig(
            seed=11, bad_gateway_rate=0.25, gateway_timeout_rate=0.25, fault_after_record=True
        )
    )
    settings = settings_for(database_url, sandbox)
    customers = await add_customers(db, ORDERS)

    async with running_runner(settings) as runner:
        await create_orders(db, settings, customers)
        seen = await settled(db, ORDERS, timeout_s=180)

    per_number = inbox_counts(sandbox)
    assert max(per_number.values()) == 1, "someone got two SMS"
    assert sandbox.state.inbox.accepted_total == ORDERS
    assert seen == {"sent": ORDERS}, seen
    async with db.autocommit() as conn:
        rows = (
            await conn.execute(
                text("SELECT recipient, provider_message_id, attempts FROM notifications")
            )
        ).all()
    # Each was tried once; the ones behind a gateway page were adopted from the inbox.
    assert {r.attempts for r in rows} == {1}
    assert {r.recipient: r.provider_message_id for r in rows} == {
        m.to: m.message_id for m in sandbox.state.inbox.find()
    }
    assert runner.sweeps >= 1, "no unknown outcome was reconciled"
