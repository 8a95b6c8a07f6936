"""How long customers wait, measured on real sends: the runner observes order → acceptance
when it records each acceptance, the API's webhook acceptance → final report when a report
moves its notification; replayed reports add nothing."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr

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

SECRET = "callback-secret-for-latency-tests"
ORDERS = 4
# Long enough that every acceptance is recorded before its report comes (a report that
# comes first is applied when the acceptance commits, and has no delay to measure).
REPORT_DELAY_S = 0.5


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_acceptance_and_report_delays_are_observed_once_per_sms(
    prefect_server: PrefectServer, db: Database, database_url: str
) -> None:
    customers = await add_customers(db, ORDERS)
    unreachable = customers[0][1]
    accepted = sample("duka_sms_acceptance_delay_seconds_count")
    accepted_sum = sample("duka_sms_acceptance_delay_seconds_sum")
    report = "duka_sms_delivery_report_delay_seconds"
    delivered = sample(f"{report}_count", result="delivered")
    delivered_sum = sample(f"{report}_sum", result="delivered")
    not_delivered = sample(f"{report}_count", result="not_delivered")
    api_settings = Settings(
        database_url=database_url, environment="test", at_callback_secret=SecretStr(SECRET)
    )
    faults = FaultConfig(
        report_delay_s=REPORT_DELAY_S,
        duplicate_report_rate=1.0,
        report_by_number={unreachable: ReportOverride(status="Failed")},
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
                    return await statuses(db) == {"delivered": ORDERS - 1, "failed": 1}

                await wait_until(reported, 120, "every report to arrive")

                async def replayed() -> bool:
                    return all(m.reports_sent == 2 for m in sandbox.state.inbox.find())

                await wait_until(replayed, 30, "every report to arrive twice")

    assert sample("duka_sms_acceptance_delay_seconds_count") == accepted + ORDERS
    assert sample("duka_sms_acceptance_delay_seconds_sum") > accepted_sum
    # One observation per notification moved: the replays were duplicates.
    assert sample(f"{report}_count", result="delivered") == delivered + ORDERS - 1
    assert sample(f"{report}_count", result="not_delivered") == not_delivered + 1
    # The sandbox waits REPORT_DELAY_S after accepting before each report; the acceptance
    # is recorded a moment after the sandbox's answer, so a little less than that.
    waited = sample(f"{report}_sum", result="delivered") - delivered_sum
    assert waited >= (ORDERS - 1) * REPORT_DELAY_S * 0.5
