"""A real Prometheus scrapes the API's and the runner's metrics ports and evaluates the
chart's alert rules (rendered by helm, with short windows): the SMS-failure alert fires
while the AT sandbox fails every send, and clears once it accepts them again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.db.engine import Database
from tests.integration.deploy.deploy_support import go_tool
from tests.support.alert_rules import check_rules
from tests.support.kube_process import free_port
from tests.support.metrics import METRICS_LINE, serving
from tests.support.prometheus import prometheus_server
from tests.support.sms_flows import add_customers, create_orders, settings_for

pytestmark = pytest.mark.anyio

ALERT = "DukaSmsFailureRatioHigh"
# The shipped rules with windows a test can wait for: 1 s scrapes and evaluations.
SHORT = {
    "metrics": {
        "prometheusRule": {"interval": "1s"},
        "alerts": {"smsFailure": {"window": "15s", "for": "2s"}},
    }
}


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.5)


async def test_the_sms_failure_alert_fires_and_clears(
    prefect_server: PrefectServer,
    db: Database,
    sandbox: SandboxServer,
    database_url: str,
    tmp_path: Path,
) -> None:
    groups = check_rules().render_rule_groups(go_tool("helm"), values=SHORT)
    api_port, api_metrics, runner_metrics = free_port(), free_port(), free_port()
    common = {
        "TMPDIR": str(tmp_path),
        "DUKA_ENVIRONMENT": "test",
        "DUKA_DATABASE_URL": database_url,
        "DUKA_METRICS_ENABLED": "true",
        "DUKA_METRICS_HOST": "127.0.0.1",
    }
    api_env = {
        **common,
        "DUKA_PORT": str(api_port),
        "DUKA_WORKERS": "1",
        "DUKA_METRICS_PORT": str(api_metrics),
        "DUKA_OIDC_ISSUER": f"http://127.0.0.1:{free_port()}/realms/none",
        "DUKA_AT_CALLBACK_SECRET": "prometheus-test-callback-secret",
    }
    runner_env = {
        **common,
        "DUKA_AT_USERNAME": sandbox.config.username,
        "DUKA_AT_API_KEY": sandbox.config.api_key,
        "DUKA_AT_BASE_URL": sandbox.base_url,
        "DUKA_AT_TIMEOUT_S": "0.5",
        "DUKA_SMS_METRICS_PORT": str(runner_metrics),
        "DUKA_SMS_MAX_RETRIES": "1",
        "DUKA_SMS_RETRY_BACKOFF_S": "0.05",
        "DUKA_SMS_OUTBOX_SAMPLE_S": "0.5",
        "PREFECT_API_URL": prefect_server.api_url,
    }
    settings = settings_for(database_url, sandbox)
    customers = await add_customers(db, 400)
    batches = [customers[i : i + 3] for i in range(0, len(customers), 3)]

    async def send_batch() -> None:
        assert batches, "the test ran out of customers"
        await create_orders(db, settings, batches.pop(), workers=2)

    targets = {"api": f"127.0.0.1:{api_metrics}", "runner": f"127.0.0.1:{runner_metrics}"}
    async with (
        serving(["-m", "api.cli", "serve"], api_env, lambda line: bool(METRICS_LINE.search(line))),
        serving(["-m", "flows"], runner_env, lambda line: b"listening for new orders" in line),
    ):
        with prometheus_server(tmp_path / "prometheus", targets, groups) as prom:

            async def both_up() -> bool:
                async with httpx.AsyncClient() as c:
                    await c.get(f"http://127.0.0.1:{api_port}/healthz")
                return await asyncio.to_thread(prom.targets_up) == {"api": "up", "runner": "up"}

            await eventually(both_up, 60, "Prometheus to scrape the API and the runner")
            # Every send fails: HTTP 500 from the sandbox, an `unknown` outcome each time (the
            # message may have gone: the row waits for evidence, it is not sent again).
            sandbox.state.set_faults(FaultConfig(error_rate=1.0))

            async def firing() -> bool:
                await send_batch()
                return "firing" in await asyncio.to_thread(prom.alert_states, ALERT)

            await eventually(firing, 120, f"{ALERT} to fire")
            failed = await asyncio.to_thread(
                prom.query, 'sum(duka_sms_sends_total{job="runner",outcome="unknown"})'
            )
            assert float(failed[0]["value"][1]) > 0
            answered = await asyncio.to_thread(
                prom.query, 'sum(duka_http_requests_total{job="api"})'
            )
            assert float(answered[0]["value"][1]) >= 1

            # The sandbox recovers: sends are accepted again while orders keep coming.
            sandbox.state.reset_faults()

            async def cleared() -> bool:
                await send_batch()
                return not await asyncio.to_thread(prom.alert_states, ALERT)

            await eventually(cleared, 120, f"{ALERT} to clear")
            accepting = await asyncio.to_thread(
                prom.query, 'sum(rate(duka_sms_sends_total{outcome="accepted"}[15s]))'
            )
            # Cleared by successes, not by the sends stopping (a ratio of nothing is no alert).
            assert float(accepting[0]["value"][1]) > 0
            # The runner's processes export the order → acceptance delays of those sends.
            waited = await asyncio.to_thread(
                prom.query, 'sum(duka_sms_acceptance_delay_seconds_count{job="runner"})'
            )
            assert float(waited[0]["value"][1]) > 0
