"""`python -m flows run` with metrics on: two runner processes send real orders through
the AT sandbox, and the supervisor's metrics port shows the sum of both."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.db.engine import Database
from tests.support.metrics import METRICS_LINE, Samples, scrape_until
from tests.support.metrics import value as value_in
from tests.support.sms_flows import add_customers, create_orders, settings_for, settled

pytestmark = pytest.mark.anyio


async def test_the_runner_metrics_port_shows_every_sms_metric(
    prefect_server: PrefectServer, db: Database, sandbox: SandboxServer, database_url: str
) -> None:
    orders = 20
    settings = settings_for(database_url, sandbox)
    customers = await add_customers(db, orders)
    env = {
        **os.environ,
        "DUKA_DATABASE_URL": database_url,
        "DUKA_AT_USERNAME": sandbox.config.username,
        "DUKA_AT_API_KEY": sandbox.config.api_key,
        "DUKA_AT_BASE_URL": sandbox.base_url,
        "DUKA_SMS_PROCESSES": "2",
        "DUKA_METRICS_ENABLED": "true",
        "DUKA_SMS_METRICS_PORT": "0",
        "DUKA_SMS_OUTBOX_SAMPLE_S": "0.2",
        "PREFECT_API_URL": prefect_server.api_url,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "flows",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        url = ""
        listening = 0
        while listening < 2:
            line = await asyncio.wait_for(process.stderr.readline(), 120)
            assert line, "the supervisor ended early"
            listening += b"listening for new orders" in line
            if found := METRICS_LINE.search(line):
                url = found.group(1).decode()
        assert url, "no metrics line"
        await create_orders(db, settings, customers)
        assert await settled(db, orders, timeout_s=120) == {"sent": orders}

        # Each runner samples the outbox every 0.2 s, at its own moment: the scrape is
        # repeated until every assertion holds, rather than after a guessed sleep.
        await scrape_until(url, lambda found: check(found, orders))
    finally:
        process.send_signal(signal.SIGTERM)
        drained = asyncio.create_task(process.stderr.read())
        code = await asyncio.wait_for(process.wait(), 60)
        await drained
    assert code == 0


def check(found: Samples, orders: int) -> None:
    def value(name: str, **labels: str) -> float:
        return value_in(found, name, **labels)

    # Both processes' sends, summed.
    assert value("duka_sms_sends_total", outcome="accepted", at_status="Success") == orders
    assert value("duka_sms_send_attempts_total") == orders
    assert value("duka_sms_segments_count") == orders
    segments = value("duka_sms_segments_sum")
    assert segments >= orders
    costs = {
        dict(labels)["currency"]: v
        for (name, labels), v in found.items()
        if name == "duka_sms_cost_total"
    }
    # The sandbox charges 0.8 per segment.
    assert sum(costs.values()) == pytest.approx(0.8 * segments)
    assert ("duka_sms_outbox_depth", frozenset({("status", "pending")})) in found
    assert value("duka_sms_outbox_depth", status="pending") == 0
    assert ("duka_sms_outbox_depth", frozenset({("status", "sending")})) in found
    assert value("duka_sms_oldest_pending_age_seconds") == 0
