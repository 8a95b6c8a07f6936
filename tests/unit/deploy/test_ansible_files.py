"""The Ansible role's files: hardened systemd units, migrations as their own unit, the API on
loopback behind nginx with TLS, and an example vault that holds only fake values."""

from __future__ import annotations

import re

import pytest

from tests.unit.deploy.deploy_files import ANSIBLE, load_yaml

ROLE = ANSIBLE / "roles" / "duka"
TEMPLATES = ROLE / "templates"
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "RestrictSUIDSGID": "yes",
    "CapabilityBoundingSet": "",
    "SystemCallFilter": "@system-service",
}


def settings(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if re.match(r"^[A-Za-z]+=", line):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize("unit", ["duka-api", "duka-flows", "duka-migrate"])
def test_units_are_hardened_and_unprivileged(unit: str) -> None:
    text = (TEMPLATES / f"{unit}.service.j2").read_text()
    assert "{% include '_hardening.j2' %}" in text
    found = settings(text + "\n" + (TEMPLATES / "_hardening.j2").read_text())
    for key, value in HARDENING.items():
        assert value in found[key], f"{unit}: {key}"
    assert found["User"] == ["{{ duka_user }}"]
    assert found["ReadWritePaths"] == ["{{ duka_data_dir }}"]
    assert found["EnvironmentFile"] == ["{{ duka_config_dir }}/duka.env"]


def test_migrations_run_once_not_at_api_start() -> None:
    migrate = settings((TEMPLATES / "duka-migrate.service.j2").read_text())
    api = (TEMPLATES / "duka-api.service.j2").read_text()
    assert migrate["Type"] == ["oneshot"]
    assert migrate["ExecStart"][0].endswith("duka migrate")
    assert "migrate" not in api
    handlers = load_yaml(ROLE / "handlers" / "main.yml")
    order = [h["name"] for h in handlers]
    assert order.index("Run migrations") < order.index("Restart duka-api")


def test_api_listens_on_loopback_behind_tls_nginx() -> None:
    env = (TEMPLATES / "duka.env.j2").read_text()
    assert "env('DUKA_HOST', '127.0.0.1')" in env
    nginx = (TEMPLATES / "nginx-duka.conf.j2").read_text()
    assert "listen 443 ssl" in nginx
    assert "return 301 https://" in nginx
    assert "proxy_pass http://127.0.0.1:{{ duka_api_port }};" in nginx
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in nginx


def test_secrets_are_not_logged() -> None:
    for name in ("config.yml",):
        tasks = load_yaml(ROLE / "tasks" / name)
        for task in tasks:
            if "duka.env" in str(task) or "key" in task["name"].lower():
                assert task.get("no_log") is True, task["name"]


def test_example_vault_is_plain_and_fake() -> None:
    path = ANSIBLE / "inventories" / "example" / "group_vars" / "duka" / "vault.yml"
    text = path.read_text()
    assert not text.startswith("$ANSIBLE_VAULT")
    values = load_yaml(path)
    assert values
    for key, value in values.items():
        assert key.startswith("vault_duka_")
        assert re.search(r"fake|not-a-real|REPLACE|example\.invalid", value), key
