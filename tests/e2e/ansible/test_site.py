"""`ansible-playbook deploy/ansible/site.yml` against a systemd-booted Debian bookworm host
(a container; conftest.py and testhost.py), over ssh, with `become` through sudo: the
services run under systemd, nginx terminates TLS and proxies the API, an order placed
through nginx gets its SMS from the flow runner, and a second run changes nothing."""

from __future__ import annotations

import shutil
import ssl
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.ansible.conftest import ROOT, SERVER_NAME, Deployment, changed_tasks, recap
from tests.support.keycloak import Tokens

pytestmark = pytest.mark.integration
UNITS = ("duka-api.service", "duka-flows.service", "nginx.service")


def test_first_run_deploys(first_run: str) -> None:
    counts = recap(first_run)
    assert counts["failed"] == 0, first_run[-3000:]
    assert counts["unreachable"] == 0
    assert counts["changed"] >= 20
    # The handlers ran in their order: units reloaded, schema migrated, services restarted.
    handlers = [line for line in first_run.splitlines() if line.startswith("RUNNING HANDLER")]
    names = [h.split(" : ", 1)[1].rstrip("] *") for h in handlers]
    assert names.index("Run migrations") < names.index("Restart duka-api")


def test_services_run_under_systemd(deployment: Deployment, first_run: str) -> None:
    host = deployment.host
    for unit in UNITS:
        assert host.unit_state(unit) == "active", host.journal(unit)
        assert host.exec("systemctl", "is-enabled", unit).strip() == "enabled"
    migrate = host.exec("systemctl", "show", "duka-migrate.service", "-p", "Result,ExecMainStatus")
    assert "Result=success" in migrate
    assert "ExecMainStatus=0" in migrate
    # The services run as the unprivileged user, from the release the playbook installed.
    api = host.exec("systemctl", "show", "duka-api.service", "-p", "MainPID,User").split()
    pid = next(v.split("=", 1)[1] for v in api if v.startswith("MainPID="))
    assert "User=duka" in api
    assert host.exec("stat", "-c", "%U", f"/proc/{pid}").strip() == "duka"
    # The unit's sandbox is real (systemd skips it silently where it cannot build it):
    # ProtectSystem=strict shows as a read-only root in the service's mount namespace.
    mounts = [line.split() for line in host.exec("cat", f"/proc/{pid}/mountinfo").splitlines()]
    root_options = [fields[5] for fields in mounts if fields[4] == "/"][-1]
    assert root_options.split(",")[0] == "ro"
    env = host.exec("stat", "-c", "%a %U:%G", "/etc/duka/duka.env").strip()
    assert env == "640 root:duka"


def test_nginx_proxies_the_api_with_tls(deployment: Deployment, first_run: str) -> None:
    trust = ssl.create_default_context(cafile=deployment.cert)
    with httpx.Client(verify=trust, headers={"Host": SERVER_NAME}) as http:
        ready = http.get(f"{deployment.https_url}/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.headers["strict-transport-security"] == "max-age=63072000"
        plain = http.get(f"http://127.0.0.1:{deployment.host.http_port}/readyz")
        assert plain.status_code == 301
        assert plain.headers["location"] == f"https://{SERVER_NAME}/readyz"


def test_an_order_through_nginx_gets_its_sms(
    deployment: Deployment, first_run: str, tokens: Tokens
) -> None:
    phone = "+254711000123"
    with httpx.Client(
        base_url=f"{deployment.https_url}/api/v1",
        verify=ssl.create_default_context(cafile=deployment.cert),
        headers={"Host": SERVER_NAME},
        auth=tokens.auth("clerk"),
        timeout=30,
    ) as api:
        customer = api.post("/customers", json={"name": "Ansible Host", "phone": phone})
        assert customer.status_code == 201, customer.text
        order = api.post(
            "/orders",
            json={"customer_id": customer.json()["id"], "item": "Tea 500g", "amount": "320.00"},
        )
        assert order.status_code == 201, order.text
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline:
            notification = api.get(f"/orders/{order.json()['id']}").json()["notification"]
            status = notification and notification["status"]
            if status in ("sent", "delivered", "failed"):
                break
            time.sleep(1)
    assert status in ("sent", "delivered"), deployment.host.journal("duka-flows.service")
    received = deployment.sandbox.state.inbox.find(number=phone)
    assert len(received) == 1
    assert "Tea 500g" in received[0].message


def test_second_run_changes_nothing(deployment: Deployment, first_run: str) -> None:
    from tests.e2e.ansible.conftest import _timings

    started = time.monotonic()
    second = deployment.play()
    _timings["second run"] = time.monotonic() - started
    counts = recap(second)
    assert counts["failed"] == 0, second[-3000:]
    assert counts["changed"] == 0, changed_tasks(second)
    for unit in UNITS:
        assert deployment.host.unit_state(unit) == "active"


def test_a_new_build_of_the_same_version_is_installed(
    deployment: Deployment, first_run: str, tmp_path: Path
) -> None:
    """New code under an unchanged version reaches the host (it used to be skipped: the
    wheel was built once per version and installed once per version)."""
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".git", ".venv", ".cache", ".state", "dist", "__pycache__"),
    )
    marker = "# e2e: a rebuild of the same version"
    with (source / "api" / "__init__.py").open("a") as init:
        init.write(f"{marker}\n")
    out = deployment.play("-e", f"duka_source_dir={source}")
    changed = changed_tasks(out)
    for task in (
        "duka : Install exactly the locked dependencies, then the wheel",
        "duka : Run migrations",
        "duka : Restart duka-api",
    ):
        assert task in changed, changed
    installed = "/opt/duka/current/venv/lib/python3.11/site-packages/api/__init__.py"
    assert marker in deployment.host.exec("cat", installed)
    assert deployment.host.unit_state("duka-api.service") == "active"
