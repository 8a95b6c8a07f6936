"""Permanent failures are not retried and say why; exhausted retries end as failed; an
operator's retry sends again; the order's answer and Prefect both show it all."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.db.engine import Database
from duka.notifications.template import order_reference
from tests.support.sms_flows import (
    FAST,
    add_customers,
    api_client,
    create_orders,
    inbox_counts,
    running_runner,
    settings_for,
    settled,
    statuses,
    task_runs_named,
    wait_until,
)

pytestmark = pytest.mark.anyio


async def test_failures_end_with_their_reason_and_an_operator_can_retry(
    prefect_server: PrefectServer, db: Database, sandbox: SandboxServer, database_url: str
) -> None:
    customers = await add_customers(db, 4)
    invalid, blacklisted, flaky, fine = (phone for _, phone in customers)
    # 403 and 406 are permanent; a recipient status of 500 is transient, every time.
    sandbox.state.set_faults(
        FaultConfig(status_by_number={invalid: 403, blacklisted: 406, flaky: 500})
    )
    settings = settings_for(database_url, sandbox)
    sms = FAST.model_copy(update={"max_retries": 2})

    async with running_runner(settings, sms):
        order_ids = await create_orders(db, settings, customers, workers=1)
        assert await settled(db, 4, timeout_s=120) == {"failed": 3, "sent": 1}

        async with db.autocommit() as conn:
            rows = {
                r.recipient: r
                for r in await conn.execute(
                    text(
                        "SELECT order_id, recipient, status, attempts, last_error "
                        "FROM notifications"
                    )
                )
            }
        assert (rows[invalid].attempts, rows[blacklisted].attempts) == (1, 1), "not retried"
        assert rows[invalid].last_error.startswith("InvalidPhoneNumber: ")
        assert rows[blacklisted].last_error.startswith("UserInBlacklist: ")
        assert rows[flaky].attempts == 3
        assert rows[flaky].last_error.endswith("(gave up after 3 attempts)")
        assert (rows[fine].status, rows[fine].attempts) == ("sent", 1)
        assert inbox_counts(sandbox) == {fine: 1}

        async with api_client(settings, db) as api:
            shown = (await api.get(f"/api/v1/orders/{rows[invalid].order_id}")).json()
            assert shown["notification"]["status"] == "failed"
            assert shown["notification"]["attempts"] == 1
            assert shown["notification"]["last_error"] == rows[invalid].last_error

            # The operator fixes the cause (here: the sandbox accepts again) and retries.
            sandbox.state.reset_faults()
            answer = await api.post(f"/api/v1/orders/{rows[flaky].order_id}/notification/retry")
            assert answer.status_code == 202, answer.text
            assert answer.json()["status"] == "pending"

            async def resent() -> bool:
                return (await statuses(db))["sent"] == 2

            await wait_until(resent, 60, "the retried SMS to go out")
            again = (await api.get(f"/api/v1/orders/{rows[flaky].order_id}")).json()
            assert again["notification"]["status"] == "sent"
            assert again["notification"]["attempts"] == 4
            assert again["notification"]["last_error"] is None
        assert inbox_counts(sandbox) == {fine: 1, flaky: 1}
    assert set(order_ids) == {r.order_id for r in rows.values()}

    # Prefect: the permanent failure ran once and failed; the flaky one ran three times.
    async def in_prefect(order_id: uuid.UUID, runs: int, state: str) -> bool:
        found = await task_runs_named(f"sms-{order_reference(order_id.hex)}")
        return any(r.run_count == runs and r.state_name == state for r in found)

    async def recorded() -> bool:
        return await in_prefect(rows[invalid].order_id, 1, "Failed") and await in_prefect(
            rows[flaky].order_id, 3, "Failed"
        )

    await wait_until(recorded, 60, "Prefect to record the failed task runs")
