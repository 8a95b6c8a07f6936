"""The Prefect server settings that lower an SMS's cost are the same wherever Duka starts
a Prefect server (devtools, the duka-prefect image, the devstack chart), and Prefect
reads them as meant."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.settings.models.server.services import (
    ServerServicesEventPersisterSettings,
    ServerServicesTaskRunRecorderSettings,
)

from devtools.prefect_server import DATABASE_SETTINGS, THROUGHPUT_ENV, PrefectServer
from tests.unit.devtools.test_prefect_retention import containerfile_env, devstack_env


def test_every_prefect_server_duka_starts_has_the_same_throughput_settings() -> None:
    assert {k: v for k, v in containerfile_env().items() if k in THROUGHPUT_ENV} == (THROUGHPUT_ENV)
    assert {k: v for k, v in devstack_env().items() if k in THROUGHPUT_ENV} == THROUGHPUT_ENV


def test_prefect_reads_a_batch_of_100_flushed_every_second_and_no_event_persister(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in THROUGHPUT_ENV.items():
        monkeypatch.setenv(name, value)
    recorder = ServerServicesTaskRunRecorderSettings()
    assert (recorder.batch_size, recorder.read_batch_size) == (100, 10)
    # The recorder sleeps int(flush_interval) between flushes: below 1 it would spin.
    assert int(recorder.flush_interval) == 1
    assert not ServerServicesEventPersisterSettings().enabled
    assert ServerServicesTaskRunRecorderSettings().enabled, "task runs are still recorded"


def test_the_server_gets_them_and_the_environment_overrides_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server = PrefectServer(database_url="postgresql://h/db", home=tmp_path)
    assert THROUGHPUT_ENV.items() <= server.server_env().items()
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", "1")
    assert server.server_env()["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE"] == "1"


def test_prefects_database_commits_asynchronously_unless_told_otherwise(
    tmp_path: Path,
) -> None:
    assert DATABASE_SETTINGS == {"synchronous_commit": "off"}
    server = PrefectServer(database_url="postgresql://h/db", home=tmp_path)
    assert server.database_settings == DATABASE_SETTINGS
    assert server.database_settings is not DATABASE_SETTINGS, "each server has its own copy"
