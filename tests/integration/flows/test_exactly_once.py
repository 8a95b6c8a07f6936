"""A thousand orders while the sandbox fails a third of sends (500s and timeouts): every
customer gets exactly one SMS, none lost, none doubled, and Prefect shows each send."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.db.engine import Database
from duka.notifications.template import order_reference
from tests.support.sms_flows import (
    add_customers,
    create_orders,
    inbox_counts,
    running_runner,
    settings_for,
    settled,
    task_runs_named,
    wait_until,
)

pytestmark = pytest.mark.anyio

ORDERS = 1000


async def test_every_customer_gets_exactly_one_sms_despite_transient_faults(
    prefect_server: PrefectServer, db: Database, sandbox: SandboxServer, database_url: str
) -> None:
    # Faults strike before the sandbox records the message (its default): a recipient
    # status 500 (AT says it did not take the message) is retried by Prefect; an HTTP 500
    # or a timeout is an unknown outcome (AT may have it), settled by the reconciler.
    sandbox.state.set_faults(
        FaultConfig(
            seed=7, error_rate=0.1, timeout_rate=0.1, timeout_hold_s=2.0, status_rates={500: 0.15}
        )
    )
    settings = settings_for(database_url, sandbox)
    customers = await add_customers(db, ORDERS)

    async with running_runner(settings) as runner:
        await create_orders(db, settings, customers)
        seen = await settled(db, ORDERS, timeout_s=600)

    assert seen == {"sent": ORDERS}, seen
    per_number = inbox_counts(sandbox)
    assert len(per_number) == ORDERS
    assert set(per_number.values()) == {1}, "someone got two SMS"
    assert sandbox.state.inbox.accepted_total == ORDERS

    async with db.autocommit() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT order_id, recipient, provider_message_id, attempts FROM notifications"
                    " ORDER BY sent_at"
                )
            )
        ).all()
    recorded = {r.recipient: r.provider_message_id for r in rows}
    assert recorded == {m.to: m.message_id for m in sandbox.state.inbox.find()}
    attempts = sum(r.attempts for r in rows)
    assert attempts > ORDERS * 1.2, "the faults did not strike"
    assert runner.sweeps >= 1, "no unknown outcome was reconciled"

    # Prefect shows the sends: a retried one has one task run per try, named after the order
    # (the first one sent: the server records events in order, and it had the most time).
    retried = next(r for r in rows if r.attempts == 2)
    name = f"sms-{order_reference(retried.order_id.hex)}"

    async def recorded_in_prefect() -> bool:
        runs = await task_runs_named(name)
        return sum(r.run_count for r in runs) == retried.attempts and any(
            r.state_name == "Completed" for r in runs
        )

    try:
        await wait_until(recorded_in_prefect, 120, f"Prefect to record {name}")
    except AssertionError:
        runs = await task_runs_named(name)
        raise AssertionError(
            [(r.state_name, r.run_count, r.tags) for r in runs], retried.attempts
        ) from None
    assert all("sms" in r.tags for r in await task_runs_named(name))
