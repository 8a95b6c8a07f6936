"""A runner process killed (SIGKILL) while sends are in flight: after a new runner takes
over, every customer has exactly one SMS."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest
from sqlalchemy import text

from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.db.engine import Database
from tests.support.sms_flows import (
    FAST,
    add_customers,
    create_orders,
    inbox_counts,
    running_runner,
    settings_for,
    settled,
    statuses,
    wait_until,
)

pytestmark = pytest.mark.anyio

ORDERS = 24
LATENCY_S = 1.5


def runner_env(database_url: str, sandbox: SandboxServer, api_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DUKA_DATABASE_URL": database_url,
        "DUKA_AT_USERNAME": sandbox.config.username,
        "DUKA_AT_API_KEY": sandbox.config.api_key,
        "DUKA_AT_BASE_URL": sandbox.base_url,
        "DUKA_AT_TIMEOUT_S": "10",
        "DUKA_AT_MAX_CONCURRENCY": "4",
        "DUKA_SMS_LEASE_S": "3",
        "DUKA_SMS_SWEEP_INTERVAL_S": "0.5",
        "DUKA_SMS_UNKNOWN_GRACE_S": "3",
        "DUKA_SMS_UNKNOWN_LOOKUP": "sandbox_inbox",
        "DUKA_SMS_CONCURRENCY": "4",
        "PREFECT_API_URL": api_url,
    }


async def test_no_double_send_after_a_runner_is_killed_mid_send(
    prefect_server: PrefectServer, db: Database, sandbox: SandboxServer, database_url: str
) -> None:
    # Every send takes LATENCY_S at the provider, so several are always in flight.
    sandbox.state.set_faults(FaultConfig(latency_s=LATENCY_S))
    settings = settings_for(database_url, sandbox, at_timeout_s=10)
    customers = await add_customers(db, ORDERS)
    await create_orders(db, settings, customers)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "flows",
        env=runner_env(database_url, sandbox, prefect_server.api_url),
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:

        async def sends_in_flight() -> bool:
            async with db.autocommit() as conn:
                in_flight = (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM notifications "
                            "WHERE status = 'sending' AND send_started_at IS NOT NULL"
                        )
                    )
                ).scalar_one()
            return bool(in_flight >= 2 and sandbox.state.inbox.accepted_total > 0)

        await wait_until(sends_in_flight, 180, "the runner to have sends in flight")
    finally:
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == -signal.SIGKILL
    assert (await statuses(db))["sent"] < ORDERS, "killed too late"

    sms = FAST.model_copy(update={"unknown_grace_s": 3.0, "concurrency": 4})
    async with running_runner(settings, sms) as runner:
        assert await settled(db, ORDERS, timeout_s=180) == {"sent": ORDERS}
    assert runner.sweeps >= 1, "the dead runner's claims were not swept"

    per_number = inbox_counts(sandbox)
    assert len(per_number) == ORDERS
    assert set(per_number.values()) == {1}, "a send was doubled"
