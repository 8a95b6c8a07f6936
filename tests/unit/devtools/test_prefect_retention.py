"""Prefect retention is on by default, with the same values wherever Duka starts a Prefect
server (devtools, the duka-prefect image, the devstack chart), and Prefect reads them as
meant."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from prefect.settings.models.server.events import ServerEventsSettings
from prefect.settings.models.server.services import ServerServicesDBVacuumSettings

from devtools.prefect_server import RETENTION_ENV, PrefectServer

ROOT = Path(__file__).resolve().parents[3]
CONTAINERFILE = ROOT / "deploy/image/containerfiles/prefect.Containerfile"
DEVSTACK = ROOT / "deploy/helm/duka-devstack/templates/prefect.yaml"


def containerfile_env() -> dict[str, str]:
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    return dict(re.findall(r"\b(PREFECT_SERVER_[A-Z_]+)=(\S+)", text))


def devstack_env() -> dict[str, str]:
    pairs = re.findall(
        r'\{name: (PREFECT_SERVER_[A-Z_]+), value: "([^"]*)"\}', DEVSTACK.read_text()
    )
    return dict(pairs)


def test_every_prefect_server_duka_starts_has_the_same_retention() -> None:
    assert {k: v for k, v in containerfile_env().items() if k in RETENTION_ENV} == RETENTION_ENV
    assert {k: v for k, v in devstack_env().items() if k in RETENTION_ENV} == RETENTION_ENV


def test_prefect_reads_the_values_as_14_and_7_days(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in RETENTION_ENV.items():
        monkeypatch.setenv(name, value)
    vacuum = ServerServicesDBVacuumSettings()
    assert vacuum.enabled_vacuum_types == {"events", "flow_runs", "orphans"}
    assert vacuum.retention_period == timedelta(days=14)
    assert ServerEventsSettings().retention_period == timedelta(days=7)


def test_the_environment_overrides_the_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PREFECT_SERVER_EVENTS_RETENTION_PERIOD", "P2D")
    server = PrefectServer(
        database_url="postgresql://h/db",
        home=tmp_path,
        extra_env={"PREFECT_SERVER_SERVICES_DB_VACUUM_LOOP_SECONDS": "2"},
    )
    env = server.server_env()
    assert env["PREFECT_SERVER_EVENTS_RETENTION_PERIOD"] == "P2D"
    assert env["PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED"] == "events,flow_runs"
    assert env["PREFECT_SERVER_SERVICES_DB_VACUUM_LOOP_SECONDS"] == "2"
