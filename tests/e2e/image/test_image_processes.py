"""The image's processes, each in its own hardened container against real services on this
host: `duka migrate` on the test PostgreSQL, `duka serve` through a published port,
`python -m flows` sending an order's SMS to the Africa's Talking sandbox, and the operator
(`kopf run -m duka_operator`) logging in to the suite's kube-apiserver and watching its CRDs."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.core.settings import Settings
from duka.db import migrate
from duka.db.engine import Database
from tests.e2e.image.image_support import Container, free_port, run_once, wait_until
from tests.support.kube_apiserver import KubeApiServer
from tests.support.sms_flows import add_customers, create_orders, inbox_counts, settings_for
from tests.support.sms_flows import wait_until as sms_wait_until

CRDS = Path(__file__).parents[3] / "deploy/helm/duka/crds"
# The services run on this host's 127.0.0.1: containers that talk to them share its network.
HOST_NETWORK = ("--network", "host")
# slirp4netns lets a container with its own network (and a published port) reach the host's
# loopback at 10.0.2.2.
HOST_LOOPBACK = "10.0.2.2"
OWN_NETWORK = ("--network", "slirp4netns:allow_host_loopback=true")


def _revision(url: str) -> str | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


@pytest.fixture(scope="module")
def migrated_url(duka_image: str, image_database_url: str) -> str:
    """The image's own database, migrated by `duka migrate` in the container."""
    done = run_once(
        duka_image,
        "duka",
        "migrate",
        options=(*HOST_NETWORK, "-e", f"DUKA_DATABASE_URL={image_database_url}"),
    )
    assert done.returncode == 0, done.stderr
    return image_database_url


def test_migrate_brings_a_real_database_to_head(migrated_url: str) -> None:
    assert _revision(migrated_url) == migrate.head_revision()


def test_serve_answers_health_and_readiness_on_a_published_port(
    duka_image: str, migrated_url: str
) -> None:
    port = free_port()
    inside = make_url(migrated_url).set(host=HOST_LOOPBACK).render_as_string(hide_password=False)
    options = (
        *OWN_NETWORK,
        "-p",
        f"127.0.0.1:{port}:8000",
        "-e",
        f"DUKA_DATABASE_URL={inside}",
        "-e",
        "DUKA_OIDC_ISSUER=http://127.0.0.1:9/realms/duka",
    )
    with Container(duka_image, "duka", "serve", options=options) as api:
        base = f"http://127.0.0.1:{port}"

        def ready() -> httpx.Response | None:
            assert api.running(), api.logs()[-4000:]
            try:
                answer = httpx.get(f"{base}/readyz", timeout=5)
            except httpx.TransportError:
                return None
            return answer if answer.status_code == 200 else None

        readyz = wait_until(ready, "/readyz 200 through the published port", timeout_s=180)
        assert isinstance(readyz, httpx.Response)
        assert readyz.json()["checks"] == {"database": "ok", "migrations": migrate.head_revision()}
        healthz = httpx.get(f"{base}/healthz", timeout=5)
        assert healthz.status_code == 200
        assert healthz.json() == {"status": "ok"}


@pytest.fixture
def sandbox() -> object:
    with SandboxServer(SandboxConfig(port=0, api_key="image-e2e-key")) as server:
        yield server


@pytest.mark.anyio
async def test_flows_runner_sends_an_orders_sms_to_the_sandbox(
    duka_image: str,
    prefect_server: PrefectServer,
    database_url: str,
    sandbox: SandboxServer,
) -> None:
    db = Database(database_url, Settings(database_url=database_url, environment="test"))
    try:
        async with db.begin() as conn:
            await conn.execute(
                text("TRUNCATE customers, orders, notifications, idempotency_keys CASCADE")
            )
        options = (
            *HOST_NETWORK,
            "-e",
            f"DUKA_DATABASE_URL={database_url}",
            "-e",
            f"DUKA_AT_USERNAME={sandbox.config.username}",
            "-e",
            f"DUKA_AT_API_KEY={sandbox.config.api_key}",
            "-e",
            f"DUKA_AT_BASE_URL={sandbox.base_url}",
            "-e",
            f"PREFECT_API_URL={prefect_server.api_url}",
        )
        with Container(duka_image, "python", "-m", "flows", options=options) as runner:
            await asyncio.to_thread(runner.wait_for_log, "listening for new orders", 300)
            customers = await add_customers(db, 1)
            await create_orders(db, settings_for(database_url, sandbox), customers)

            def sent() -> bool:
                assert runner.running(), runner.logs()[-4000:]
                return sum(inbox_counts(sandbox).values()) >= 1

            await asyncio.to_thread(wait_until, sent, "the SMS in the sandbox", 180)
            assert inbox_counts(sandbox) == {customers[0][1]: 1}

            # The runner records the acceptance after AT's answer (with the next group of
            # acceptances), so the row may still read `sending` as the SMS lands.
            async def recorded() -> bool:
                async with db.begin() as conn:
                    status = await conn.execute(text("SELECT status FROM notifications"))
                    return status.scalar_one() in {"sent", "delivered"}

            await sms_wait_until(recorded, 30, "the acceptance recorded")
            assert inbox_counts(sandbox) == {customers[0][1]: 1}, "sent once"
    finally:
        await db.dispose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_operator_logs_in_and_watches_its_resources(
    duka_image: str, kube_apiserver: KubeApiServer, tmp_path: Path
) -> None:
    kube_apiserver.kubectl("apply", "--server-side", "-f", str(CRDS))
    # The suite's kubeconfig is private to root; the container's user reads a copy.
    kubeconfig = tmp_path / "kubeconfig"
    shutil.copyfile(kube_apiserver.kubeconfig, kubeconfig)
    os.chmod(kubeconfig, 0o644)
    options = (
        *HOST_NETWORK,
        "-v",
        f"{kubeconfig}:/etc/duka/kubeconfig:ro",
        "-e",
        "KUBECONFIG=/etc/duka/kubeconfig",
    )
    argv = ("kopf", "run", "-m", "duka_operator", "--standalone", "--all-namespaces")
    with Container(duka_image, *argv, options=options) as operator:
        logs = operator.wait_for_log("Initial authentication has finished", timeout_s=240)
        wait_until(
            lambda: "keycloakclients" in operator.logs() or operator.running(),
            "the operator to keep running",
            timeout_s=10,
        )
        assert operator.running(), operator.logs()[-4000:]
        assert "Traceback" not in logs, logs[-4000:]
