"""The Ansible playbook, run for real in check mode against this machine (connection: local,
--check --diff) with every path it writes under a throwaway root: it must plan the whole
deployment without failing, and change nothing. Systemd is not driven (the test machine has
no systemd as PID 1); the units' content is checked through the diff."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.integration.deploy.deploy_support import ROOT, run

ANSIBLE = ROOT / "deploy" / "ansible"
GROUP_VARS = ANSIBLE / "inventories" / "example" / "group_vars" / "duka"
FAKE_DB_PASSWORD = "not-a-real-password"


def ansible_env(deploy_bin: Path, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        PATH=f"{deploy_bin}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_CONFIG=str(ANSIBLE / "ansible.cfg"),
        ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-tmp"),
        ANSIBLE_HOME=str(workdir / "ansible-home"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    return env


@pytest.fixture(scope="module")
def check_run(deploy_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    workdir = tmp_path_factory.mktemp("ansible-check")
    fs_root = workdir / "root"
    fs_root.mkdir()
    inventory = workdir / "hosts.yml"
    inventory.write_text(
        "duka:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: /usr/bin/python3\n"
    )
    out = run(
        [
            deploy_bin / "ansible-playbook",
            "-i",
            inventory,
            ANSIBLE / "site.yml",
            "--check",
            "--diff",
            "-e",
            f"@{GROUP_VARS / 'main.yml'}",
            "-e",
            f"@{GROUP_VARS / 'vault.yml'}",
            "-e",
            f"duka_fs_root={fs_root}",
            "-e",
            f"duka_build_dir={workdir / 'build'}",
            "-e",
            "duka_manage_services=false",
        ],
        cwd=ANSIBLE,
        env=ansible_env(deploy_bin, workdir),
        timeout_s=600,
    )
    return out, fs_root


def test_syntax_check(deploy_bin: Path, tmp_path: Path) -> None:
    out = run(
        [deploy_bin / "ansible-playbook", "--syntax-check", ANSIBLE / "site.yml"],
        cwd=ANSIBLE,
        env=ansible_env(deploy_bin, tmp_path),
    )
    assert "playbook: " in out


def test_check_mode_plans_everything_and_fails_nothing(check_run: tuple[str, Path]) -> None:
    out, _ = check_run
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=0\s+failed=0", out)
    assert recap, out[-3000:]
    assert int(recap.group(2)) >= 15
    for task in (
        "Service user without a login",
        "Install exactly the locked dependencies, then the wheel",
        "Systemd units",
        "Nginx site for the API",
    ):
        assert f"TASK [duka : {task}]" in out


def test_check_mode_writes_nothing(check_run: tuple[str, Path]) -> None:
    _, fs_root = check_run
    assert list(fs_root.iterdir()) == []


def test_diff_shows_hardened_units_and_tls_proxy(check_run: tuple[str, Path]) -> None:
    out, _ = check_run
    assert "changed: [localhost] => (item=duka-api.service)" in out
    for line in ("+NoNewPrivileges=yes", "+ProtectSystem=strict", "+ExecStart=/opt/duka/current"):
        assert line in out
    assert "+    listen 443 ssl http2;" in out


def test_secrets_stay_out_of_the_output(check_run: tuple[str, Path]) -> None:
    out, _ = check_run
    assert FAKE_DB_PASSWORD not in out
    assert "fake-africastalking-api-key" not in out
