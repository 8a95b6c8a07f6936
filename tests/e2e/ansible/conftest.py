"""Fixtures of the playbook's end-to-end test: a systemd-booted Debian container as the
host (testhost.py), the services it is configured to reach (the session's PostgreSQL with
databases of its own, the session's Keycloak, a Prefect server, the AT sandbox), and the
playbook run twice against it over ssh.

The host reaches those services on its own loopback through an ssh tunnel, so the issuer,
database and sandbox URLs the role writes are the ones the tests use.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.keycloak import KeycloakServer
from devtools.prefect_server import PrefectServer
from tests.e2e.ansible.testhost import TestHost, build_image, podman_available
from tests.integration.deploy.conftest import deploy_bin  # noqa: F401 - a shared fixture
from tests.integration.deploy.test_ansible import ANSIBLE, ansible_env

ROOT = Path(__file__).resolve().parents[3]
AT_API_KEY = "test-at-key"
SERVER_NAME = "duka.test"
_timings: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for name, seconds in _timings.items():
        terminalreporter.write_line(f"ansible-playbook site.yml, {name}: {seconds:.0f} s")


@pytest.fixture(scope="session")
def testhost_image() -> str:
    reason = podman_available()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Ansible end-to-end test needs podman: {reason}")
        pytest.skip(reason)
    return build_image()


def fresh_database(admin_url: str, name: str) -> str:
    """`name` dropped and created again on the server of `admin_url`; its libpq URL."""
    url = make_url(admin_url)
    with psycopg.connect(url.set(database="postgres").render_as_string(False)) as conn:
        conn.autocommit = True
        ident = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def prefect(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    server = PrefectServer(
        database_url=fresh_database(database_url, "duka_ansible_prefect"),
        home=tmp_path_factory.mktemp("ansible-prefect"),
        ui=False,
        all_services=False,
    )
    server.start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(port=0, username="sandbox", api_key=AT_API_KEY)) as server:
        yield server


def self_signed(workdir: Path) -> tuple[Path, Path]:
    cert, key = workdir / "duka.crt", workdir / "duka.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", f"/CN={SERVER_NAME}", "-keyout", str(key),
         "-out", str(cert), "-addext", f"subjectAltName=DNS:{SERVER_NAME},IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Deployment:
    host: TestHost
    workdir: Path
    inventory: Path
    extra_vars: Path
    cert: Path
    database_url: str
    sandbox: SandboxServer
    bin: Path

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.host.https_port}"

    def play(self, *extra: str) -> str:
        """`ansible-playbook site.yml` over ssh; its output (the test fails on a non-zero exit)."""
        done = subprocess.run(
            [str(self.bin / "ansible-playbook"), "-i", str(self.inventory), "site.yml",
             "-e", f"@{self.extra_vars}", *extra],
            cwd=ANSIBLE, env=ansible_env(self.bin, self.workdir), capture_output=True,
            text=True, timeout=1800, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(
                f"ansible-playbook exited {done.returncode}\n{done.stdout[-8000:]}\n"
                f"{done.stderr[-3000:]}\n--- journal\n{self.host.journal(lines=30)}"
            )
        return done.stdout


def recap(output: str) -> dict[str, int]:
    found = re.search(r"^testhost\s*:\s*(.*)$", output, re.MULTILINE)
    assert found, output[-3000:]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found.group(1))}


def changed_tasks(output: str) -> list[str]:
    """The names of the tasks and handlers that reported a change."""
    changed, current = [], ""
    for line in output.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            current = line.split("[", 1)[1].split("]", 1)[0]
        elif line.startswith("changed:") and current not in changed:
            changed.append(current)
    return changed


@pytest.fixture(scope="module")
def deployment(
    testhost_image: str,
    deploy_bin: Path,  # noqa: F811 - the fixture imported above
    database_url: str,
    keycloak: KeycloakServer,
    prefect: PrefectServer,
    sandbox: SandboxServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("ansible-e2e")
    app_url = fresh_database(database_url, "duka_ansible")
    cert, key = self_signed(workdir)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with TestHost.running(testhost_image, workdir) as host:
        inventory = workdir / "hosts.yml"
        common = " ".join(host.ssh_argv()[5:])  # the -o options, not the key and port
        inventory.write_text(
            json.dumps({"duka": {"hosts": {"testhost": {
                "ansible_host": "127.0.0.1",
                "ansible_port": host.ssh_port,
                "ansible_user": "deploy",
                "ansible_ssh_private_key_file": str(host.key),
                "ansible_ssh_common_args": common,
            }}}})
        )  # fmt: skip
        extra_vars = workdir / "vars.json"
        extra_vars.write_text(
            json.dumps({
                "duka_version": version,
                "duka_build_dir": str(workdir / "dist"),
                "duka_server_name": SERVER_NAME,
                "duka_environment": "production",
                "duka_database_url": app_url,
                "duka_oidc_issuer": keycloak.issuer(),
                "duka_prefect_api_url": prefect.api_url,
                "duka_at_username": "sandbox",
                "duka_at_api_key": AT_API_KEY,
                "duka_at_callback_secret": "e2e-callback-secret-not-real",
                "duka_settings": {"DUKA_AT_BASE_URL": sandbox.base_url},
                "duka_tls_certificate_content": cert.read_text().strip(),
                "duka_tls_key_content": key.read_text().strip(),
            })
        )  # fmt: skip
        ports = [
            make_url(database_url).port or 5432,
            keycloak.http_port,
            prefect.port,
            int(sandbox.base_url.rsplit(":", 1)[1]),
        ]
        with host.tunnel(ports):
            yield Deployment(
                host, workdir, inventory, extra_vars, cert, app_url, sandbox, deploy_bin
            )


@pytest.fixture(scope="module")
def first_run(deployment: Deployment) -> str:
    started = time.monotonic()
    out = deployment.play()
    _timings["first run"] = time.monotonic() - started
    return out
