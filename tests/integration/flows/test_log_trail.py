"""One grep of an order's reference follows it through both processes' JSON logs: the API
accepting it, the runner claiming and sending it (with the creating request's
traceparent), and the API receiving its delivery report.

The real thing end to end: `duka serve` with the session's Keycloak, `python -m flows`
against the Prefect server, the AT sandbox posting its report to the API's callback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.keycloak import KeycloakServer
from devtools.prefect_server import PrefectServer
from duka.core.tracing import parse_traceparent
from duka.db.engine import Database
from tests.support.keycloak import Tokens
from tests.support.sms_flows import add_customers, wait_until

pytestmark = pytest.mark.anyio

SECRET = "callback-secret-for-log-tests"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER = f"00-{TRACE_ID}-b7ad6b7169203331-01"
REQUEST_ID = "log-trail-request-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process of ours, its stderr in `log`; stopped as a pod would be (SIGTERM)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, *args], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def json_lines(log: str) -> list[dict[str, Any]]:
    """Every line of the log as an object; only the start-up banners are plain text."""
    lines = []
    for line in log.splitlines():
        if line.startswith("[duka"):
            continue
        lines.append(json.loads(line))
    return lines


async def test_one_grep_of_the_reference_follows_an_order(
    prefect_server: PrefectServer,
    db: Database,
    database_url: str,
    keycloak: KeycloakServer,
    tokens: Tokens,
    tmp_path: Path,
) -> None:
    [(customer_id, _)] = await add_customers(db, 1)
    port = free_port()
    callback = (
        f"http://africastalking:{SECRET}@127.0.0.1:{port}/api/v1/webhooks/africastalking/delivery"
    )
    config = SandboxConfig(
        # The report comes well after the runner records the acceptance (an earlier one is
        # kept unmatched, then linked, and its line could not name the order).
        port=0,
        api_key="k",
        callback_url=callback,
        faults=FaultConfig(report_delay_s=2.0),
    )
    common = {
        **os.environ,
        "DUKA_DATABASE_URL": database_url,
        "DUKA_ENVIRONMENT": "test",
        "DUKA_LOG_FORMAT": "json",
        "DUKA_METRICS_ENABLED": "false",
    }
    api_log, runner_log = tmp_path / "api.log", tmp_path / "runner.log"
    with SandboxServer(config) as sandbox:
        api_env = common | {
            "DUKA_PORT": str(port),
            "DUKA_OIDC_ISSUER": keycloak.issuer(),
            "DUKA_OIDC_HTTP_TIMEOUT_S": "30",
            "DUKA_AT_CALLBACK_SECRET": SECRET,
        }
        runner_env = common | {
            "DUKA_AT_USERNAME": sandbox.config.username,
            "DUKA_AT_API_KEY": sandbox.config.api_key,
            "DUKA_AT_BASE_URL": sandbox.base_url,
            # No sweep and no report during the test: only this order's lines.
            "DUKA_SMS_SWEEP_INTERVAL_S": "3600",
            "PREFECT_API_URL": prefect_server.api_url,
        }
        with (
            process(["-m", "api.cli", "serve"], api_env, api_log),
            process(["-m", "flows"], runner_env, runner_log),
        ):
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:

                async def api_up() -> bool:
                    try:
                        return (await client.get("/healthz")).status_code == 200
                    except httpx.TransportError:
                        return False

                async def runner_listening() -> bool:
                    return "listening for new orders" in runner_log.read_text()

                await wait_until(api_up, 60, "the API to answer")
                await wait_until(runner_listening, 120, "the runner to listen")
                answer = await client.post(
                    "/api/v1/orders",
                    json={"customer_id": str(customer_id), "item": "Tea", "amount": "5"},
                    headers={
                        "Authorization": f"Bearer {tokens.token('clerk')}",
                        "X-Request-ID": REQUEST_ID,
                        "traceparent": CALLER,
                    },
                )
                assert answer.status_code == 201, answer.text
                assert answer.headers["x-request-id"] == REQUEST_ID
                reference = answer.json()["reference"]

                async def reported() -> bool:
                    return '"delivery report Success' in api_log.read_text()

                await wait_until(reported, 120, "the delivery report's line")
            # The runner's lines of the send are written by now (the report follows them).
            # Read while both run: what a stop does to Prefect's runs is not this test's.
            await asyncio.sleep(0.5)
            api_text, runner_text = api_log.read_text(), runner_log.read_text()

    async with db.autocommit() as conn:
        stored = (await conn.execute(text("SELECT traceparent FROM notifications"))).scalar_one()
    span = parse_traceparent(stored)
    assert span is not None
    assert span.trace_id == TRACE_ID

    api_lines, runner_lines = json_lines(api_text), json_lines(runner_text)
    for line in api_lines + runner_lines:
        assert {"time", "level", "logger", "message", "service"} <= line.keys(), line

    # What `grep ORD-…` finds, in each process.
    api_trail = [line for line in api_lines if reference in json.dumps(line)]
    runner_trail = [line for line in runner_lines if reference in json.dumps(line)]

    accepted = [line for line in api_trail if line["message"] == "order accepted"]
    assert len(accepted) == 1
    assert accepted[0]["order_ref"] == reference
    assert accepted[0]["request_id"] == REQUEST_ID
    assert accepted[0]["trace_id"] == TRACE_ID
    assert accepted[0]["traceparent"] == stored
    assert accepted[0]["service"] == "api"

    report = [line for line in api_trail if line["message"].startswith("delivery report Success")]
    assert report, api_trail
    assert report[0]["order_ref"] == reference
    assert report[0]["sms_traceparent"] == stored

    claimed = [line for line in runner_trail if line["message"] == "claimed 1 sms"]
    assert claimed
    assert claimed[0]["order_refs"] == [reference]
    sent = [line for line in runner_trail if line["message"].startswith("sms accepted")]
    assert len(sent) == 1
    assert sent[0]["service"] == "flows"
    # Every runner line about the SMS itself carries the creating request's traceparent.
    about_it = [line for line in runner_trail if line.get("order_ref") == reference]
    assert about_it
    assert all(line["traceparent"] == stored for line in about_it), about_it
