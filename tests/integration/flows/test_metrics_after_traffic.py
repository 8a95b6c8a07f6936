"""Every metric issue 14 names, after real traffic through the dev stack's processes: orders
through `duka serve` (two workers) with Keycloak's tokens, SMS through `python -m flows` to
the AT sandbox, its delivery reports and an opt-out back through the API's callbacks; then
the API's and the runner's metrics ports, each asserted against the traffic's own counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig, ReportOverride
from devtools.at_sandbox.runner import SandboxServer
from devtools.keycloak import KeycloakServer
from devtools.prefect_server import PrefectServer
from duka.db.engine import Database
from tests.support.keycloak import Tokens
from tests.support.kube_process import free_port
from tests.support.metrics import METRICS_LINE, Samples, scrape_until, serving, value
from tests.support.sms_flows import add_customers, statuses, wait_until

pytestmark = pytest.mark.anyio

SECRET = "metrics-traffic-callback-secret"
ORDERS = "/api/v1/orders"
REPORT_DELAY_S = 2.0


async def segments_sent(db: Database) -> int:
    async with db.autocommit() as conn:
        found = await conn.execute(
            text("SELECT coalesce(sum(segments), 0) FROM notifications WHERE sent_at IS NOT NULL")
        )
        return int(found.scalar_one())


async def test_every_metric_counts_the_traffic_through_the_dev_stack(
    prefect_server: PrefectServer,
    db: Database,
    database_url: str,
    keycloak: KeycloakServer,
    tokens: Tokens,
    tmp_path: Path,
) -> None:
    customers = await add_customers(db, 7)
    codes = [f"SMS-{n}" for n in range(1, 8)]
    phones = [phone for _, phone in customers]
    # 1-3 delivered (1 with an intermediate report first), 4 not delivered, 5 on AT's
    # blacklist (refused), 6 opts out before its order, 7 meets a transient failure whose
    # retry waits beyond the test (the runner holds it in flight, `sending`, meanwhile).
    delivered = phones[:3]
    not_delivered, blacklisted, opting_out, retried = phones[3:]
    api_port, api_metrics, runner_metrics = free_port(), free_port(), free_port()
    callbacks = (
        f"http://africastalking:{SECRET}@127.0.0.1:{api_port}/api/v1/webhooks/africastalking"
    )
    config = SandboxConfig(
        port=0,
        api_key="metrics-traffic-key",
        callback_url=f"{callbacks}/delivery",
        opt_out_url=f"{callbacks}/opt-out",
        faults=FaultConfig(
            # Reports well after the acceptance is recorded: each is applied, and timed.
            report_delay_s=REPORT_DELAY_S,
            report_by_number={
                delivered[0]: ReportOverride(status="Success", before=("Submitted",)),
                not_delivered: ReportOverride(status="Failed", failure_reason="DeliveryFailure"),
            },
            status_by_number={retried: 500},
        ),
    )
    common = {
        "TMPDIR": str(tmp_path),
        "DUKA_ENVIRONMENT": "test",
        "DUKA_DATABASE_URL": database_url,
        "DUKA_METRICS_ENABLED": "true",
        "DUKA_METRICS_HOST": "127.0.0.1",
    }
    with SandboxServer(config) as sandbox:
        sandbox.state.blacklist.add(blacklisted)
        api_env = {
            **common,
            "DUKA_PORT": str(api_port),
            "DUKA_WORKERS": "2",
            "DUKA_METRICS_PORT": str(api_metrics),
            "DUKA_METRICS_POOL_SAMPLE_S": "0.2",
            "DUKA_OIDC_ISSUER": keycloak.issuer(),
            "DUKA_OIDC_HTTP_TIMEOUT_S": "30",
            "DUKA_AT_CALLBACK_SECRET": SECRET,
        }
        runner_env = {
            **common,
            "DUKA_AT_USERNAME": sandbox.config.username,
            "DUKA_AT_API_KEY": sandbox.config.api_key,
            "DUKA_AT_BASE_URL": sandbox.base_url,
            "DUKA_SMS_PROCESSES": "1",
            "DUKA_SMS_METRICS_PORT": str(runner_metrics),
            "DUKA_SMS_OUTBOX_SAMPLE_S": "0.2",
            "DUKA_SMS_RETRY_BACKOFF_S": "3600",
            "PREFECT_API_URL": prefect_server.api_url,
        }
        async with (
            serving(
                ["-m", "api.cli", "serve"], api_env, lambda line: bool(METRICS_LINE.search(line))
            ),
            serving(["-m", "flows"], runner_env, lambda line: b"listening for new orders" in line),
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{api_port}", auth=tokens.auth("clerk"), timeout=60
            ) as api,
        ):
            # On a busy 2-core machine a worker's imports take long, and uvicorn may replace
            # one before it answers (docs/benchmarks.md, "Start-up on a busy machine").
            await wait_until(lambda: _healthy(api), 300, "the API to answer")
            # The customer opts out with AT before ordering: the callback reaches the API.
            async with httpx.AsyncClient(base_url=sandbox.base_url) as control:
                opted = await control.post(
                    "/_sandbox/opt-out", json={"phoneNumber": opting_out, "senderId": "DUKA"}
                )
                assert opted.json()["notified"] is True, opted.text
            shown: Counter[str] = Counter()
            for code in codes:
                body = {"customer_code": code, "item": "Maize flour 2kg", "amount": "10.00"}
                answer = await api.post(ORDERS, json=body)
                assert answer.status_code == 201, answer.text
                shown[answer.json()["notification"]["status"]] += 1
            assert shown == {"pending": 6, "suppressed": 1}
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as anyone:
                bad = {"Authorization": "Bearer not-a-jwt"}
                assert (await anyone.get(ORDERS, headers=bad)).status_code == 401

            wanted = {"delivered": 3, "failed": 2, "suppressed": 1, "sending": 1}
            seen: list[Counter[str]] = [Counter()]

            async def settled() -> bool:
                seen[0] = await statuses(db)
                return seen[0] == wanted

            # Generous: on a busy 2-core machine the runner's first Prefect task runs are slow.
            try:
                await wait_until(settled, 300, "every SMS to reach its state")
            except AssertionError as exc:
                raise AssertionError(f"{exc}: {dict(seen[0])}, not {wanted}") from None
            segments = await segments_sent(db)
            assert segments >= 4
            api_url = f"http://127.0.0.1:{api_metrics}/metrics"
            runner_url = f"http://127.0.0.1:{runner_metrics}/metrics"
            await scrape_until(api_url, check_api, timeout_s=30)
            await scrape_until(runner_url, lambda found: check_runner(found, segments), 30)


async def _healthy(api: httpx.AsyncClient) -> bool:
    try:
        return (await api.get("/healthz")).status_code == 200
    except httpx.TransportError:
        return False


def check_api(found: Samples) -> None:
    def requests(route: str, method: str, status: str) -> float:
        labels = {"route": route, "method": method, "status": status}
        return value(found, "duka_http_requests_total", **labels)

    # Requests by route template, method and status; their latency.
    assert requests(ORDERS, "POST", "201") == 7
    assert requests(ORDERS, "GET", "401") == 1
    callbacks = "/api/v1/webhooks/africastalking"
    # Five delivery reports (one intermediate) and one opt-out, each answered 200.
    assert requests(f"{callbacks}/delivery", "POST", "200") == 5
    assert requests(f"{callbacks}/opt-out", "POST", "200") == 1
    latency = "duka_http_request_duration_seconds"
    assert value(found, f"{latency}_count", route=ORDERS, method="POST") == 7
    assert value(found, f"{latency}_bucket", route=ORDERS, method="POST", le="+Inf") == 7
    assert value(found, f"{latency}_sum", route=ORDERS, method="POST") > 0
    # The pools of both (live) workers, idle again.
    assert value(found, "duka_db_pool_size") >= 2
    assert ("duka_db_pool_in_use", frozenset()) in found
    assert value(found, "duka_db_pool_in_use") == 0
    assert ("duka_db_pool_waiting", frozenset()) in found
    assert value(found, "duka_db_pool_waiting") == 0
    # One token for every order: checked in full once by each worker that met it, then
    # remembered; each of those workers fetched Keycloak's keys once.
    valid = value(found, "duka_token_validations_total", outcome="valid")
    assert 1 <= valid <= 2
    assert valid + value(found, "duka_token_validations_total", outcome="cached") == 7
    assert value(found, "duka_token_validations_total", outcome="invalid") == 1
    assert value(found, "duka_token_validations_total", outcome="unavailable") == 0
    assert value(found, "duka_oidc_key_fetches_total", outcome="ok") == valid
    assert value(found, "duka_oidc_key_fetches_total", outcome="error") == 0
    # Delivery reports by status, and acceptance → final report.
    reports = "duka_sms_delivery_reports_total"
    assert value(found, reports, status="Success", result="applied") == 3
    assert value(found, reports, status="Failed", result="applied") == 1
    assert value(found, reports, status="Submitted", result="recorded") == 1
    lag = "duka_sms_delivery_report_delay_seconds"
    assert value(found, f"{lag}_count", result="delivered") == 3
    assert value(found, f"{lag}_count", result="not_delivered") == 1
    # Each report came REPORT_DELAY_S after the sandbox accepted its message.
    assert value(found, f"{lag}_sum", result="delivered") >= 3 * REPORT_DELAY_S * 0.5
    assert value(found, "duka_sms_suppressions_total", source="opt_out") == 1


def check_runner(found: Samples, segments: int) -> None:
    # Sends by outcome and AT status, and the attempts that made them.
    sends = "duka_sms_sends_total"
    assert value(found, sends, outcome="accepted", at_status="Success") == 4
    assert value(found, sends, outcome="permanent", at_status="UserInBlacklist") == 1
    assert value(found, sends, outcome="transient", at_status="InternalServerError") == 1
    assert value(found, "duka_sms_send_attempts_total") == 6
    # Order → acceptance, for each accepted SMS.
    assert value(found, "duka_sms_acceptance_delay_seconds_count") == 4
    assert value(found, "duka_sms_acceptance_delay_seconds_sum") > 0
    # Segments per message and the cost AT reported (0.8 KES a segment in the sandbox).
    assert value(found, "duka_sms_segments_count") == 4
    assert value(found, "duka_sms_segments_sum") == segments
    assert value(found, "duka_sms_cost_total", currency="KES") == pytest.approx(0.8 * segments)
    assert value(found, "duka_sms_suppressions_total", source="blacklisted") == 1
    # The outbox: the one SMS held in flight for its retry, none waiting to be claimed.
    assert ("duka_sms_outbox_depth", frozenset({("status", "sending")})) in found
    assert value(found, "duka_sms_outbox_depth", status="sending") == 1
    assert ("duka_sms_outbox_depth", frozenset({("status", "pending")})) in found
    assert value(found, "duka_sms_outbox_depth", status="pending") == 0
    assert ("duka_sms_oldest_pending_age_seconds", frozenset()) in found
    assert value(found, "duka_sms_oldest_pending_age_seconds") == 0
