"""`duka serve` with metrics on (one worker, or two), real PostgreSQL, and the sum of the
workers on the metrics port (never on the API's), after real traffic."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.kube_process import free_port
from tests.support.metrics import METRICS_LINE, Samples, scrape_until, value

pytestmark = pytest.mark.anyio

SECRET = "metrics-test-callback-secret"


@dataclass
class Served:
    api: str
    metrics: str
    process: asyncio.subprocess.Process


@pytest.fixture(params=[1, 2], ids=["one-worker", "two-workers"])
async def served(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Served]:
    port = free_port()
    env = {
        **os.environ,
        "TMPDIR": str(tmp_path),
        "DUKA_ENVIRONMENT": "test",
        "DUKA_DATABASE_URL": database_url,
        "DUKA_PORT": str(port),
        # One worker runs in the parent itself; two are uvicorn's children.
        "DUKA_WORKERS": str(request.param),
        "DUKA_METRICS_ENABLED": "true",
        "DUKA_METRICS_PORT": "0",
        "DUKA_METRICS_POOL_SAMPLE_S": "0.2",
        # Nothing listens there: key fetches fail, and tokens that need keys get 503.
        "DUKA_OIDC_ISSUER": f"http://127.0.0.1:{free_port()}/realms/none",
        "DUKA_OIDC_HTTP_TIMEOUT_S": "1",
        "DUKA_AT_CALLBACK_SECRET": SECRET,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    drained: asyncio.Task[bytes] | None = None
    try:
        line = await asyncio.wait_for(process.stderr.readline(), 60)
        while not (found := METRICS_LINE.search(line)):
            assert line, "duka serve ended early"
            line = await asyncio.wait_for(process.stderr.readline(), 60)
        drained = asyncio.create_task(process.stderr.read())
        api = f"http://127.0.0.1:{port}"
        # On a busy 2-core machine two workers' imports take long, and uvicorn may replace
        # one before it answers (docs/benchmarks.md, "Start-up on a busy machine").
        deadline = asyncio.get_running_loop().time() + 180
        async with httpx.AsyncClient() as c:
            while True:
                try:
                    if (await c.get(f"{api}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert asyncio.get_running_loop().time() < deadline, "duka serve never answered"
                await asyncio.sleep(0.1)
        yield Served(api, found.group(1).decode(), process)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)
        if drained is not None:
            await drained
    # The parent removed its per-run multiprocess directory.
    assert not await asyncio.to_thread(lambda: list(tmp_path.glob("duka-metrics-*")))


def token_with_kid() -> str:
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    header = part({"alg": "RS256", "typ": "JWT", "kid": "k1"})
    return f"{header}.{part({'sub': 'x'})}.c2ln"


async def test_the_metrics_port_shows_every_api_metric_after_traffic(served: Served) -> None:
    order = f"/api/v1/orders/{uuid.uuid4()}"
    async with httpx.AsyncClient(base_url=served.api) as c:
        for _ in range(6):
            assert (await c.get("/healthz")).status_code == 200
        assert (await c.get(order)).status_code == 401
        bad = {"Authorization": "Bearer not-a-jwt"}
        assert (await c.get(order, headers=bad)).status_code == 401
        needs_keys = {"Authorization": f"Bearer {token_with_kid()}"}
        assert (await c.get(order, headers=needs_keys)).status_code == 503
        assert (await c.get("/no/such/path/1")).status_code == 404
        assert (await c.get("/no/such/path/2")).status_code == 404
        report = {
            "id": f"ATXid_{uuid.uuid4().hex}",
            "status": "Success",
            "phoneNumber": "+254711000001",
        }
        r = await c.post(f"/api/v1/webhooks/africastalking/delivery/{SECRET}", data=report)
        assert r.status_code == 200, r.text
        # Never on the API's port.
        assert (await c.get("/metrics")).status_code == 404

    def check(found: Samples) -> None:
        # Each worker samples its pool every 0.2 s, at its own moment: the scrape is
        # repeated until every assertion holds, rather than after a guessed sleep.
        def requests(route: str, status: str) -> float:
            return value(
                found, "duka_http_requests_total", route=route, method="GET", status=status
            )

        # Both workers' requests, summed (uvicorn spreads connections; each client call may
        # land on either).
        assert requests("/healthz", "200") >= 6
        assert requests("/api/v1/orders/{order_id}", "401") == 2
        assert requests("/api/v1/orders/{order_id}", "503") == 1
        assert requests("<unmatched>", "404") >= 3
        assert not any("ATXid" in name or SECRET in str(labels) for name, labels in found)
        assert (
            value(
                found,
                "duka_http_requests_total",
                route="/api/v1/webhooks/africastalking/delivery/{secret}",
                method="POST",
                status="200",
            )
            == 1
        )
        latency = value(
            found, "duka_http_request_duration_seconds_count", route="/healthz", method="GET"
        )
        assert latency >= 6
        assert value(found, "duka_token_validations_total", outcome="invalid") >= 1
        assert value(found, "duka_token_validations_total", outcome="unavailable") == 1
        assert value(found, "duka_oidc_key_fetches_total", outcome="error") >= 1
        reports = value(
            found, "duka_sms_delivery_reports_total", status="Success", result="recorded"
        )
        assert reports == 1
        assert value(found, "duka_db_pool_size") >= 1
        assert ("duka_db_pool_in_use", frozenset()) in found
        assert ("duka_db_pool_waiting", frozenset()) in found

    await scrape_until(served.metrics, check)
