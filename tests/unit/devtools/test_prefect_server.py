from __future__ import annotations

from pathlib import Path

import pytest

from devtools.prefect_server import OPTIONAL_SERVICES, PrefectServer, ensure_database, free_port


def test_the_server_gets_its_own_database_home_and_no_analytics(tmp_path: Path) -> None:
    server = PrefectServer(
        database_url="postgresql://postgres:p%40ss@127.0.0.1:54330/prefect_test",
        home=tmp_path,
        port=4321,
        ui=False,
        all_services=False,
    )
    env = server.server_env()
    assert env["PREFECT_API_DATABASE_CONNECTION_URL"] == (
        "postgresql+asyncpg://postgres:p%40ss@127.0.0.1:54330/prefect_test"
    )
    assert (env["PREFECT_HOME"], env["PREFECT_SERVER_UI_ENABLED"]) == (str(tmp_path), "false")
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert env["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] == "false"
    assert "PREFECT_API_URL" not in env
    assert server.client_env() == {"PREFECT_API_URL": "http://127.0.0.1:4321/api"}
    assert not server.running


def test_all_services_stay_on_for_the_dev_stack(tmp_path: Path) -> None:
    env = PrefectServer(database_url="postgresql://h/db", home=tmp_path).server_env()
    optional = {f"PREFECT_SERVER_SERVICES_{name}_ENABLED" for name in OPTIONAL_SERVICES}
    assert not optional & env.keys(), "the optional services keep Prefect's default (on)"
    # The one service every Prefect server Duka starts runs without (THROUGHPUT_ENV).
    assert env["PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED"] == "false"
    assert env["PREFECT_SERVER_UI_ENABLED"] == "true"


def test_the_database_url_must_name_a_database() -> None:
    with pytest.raises(ValueError, match="name a database"):
        ensure_database("postgresql://postgres@127.0.0.1:1")


def test_free_port_is_a_usable_port() -> None:
    assert 1024 <= free_port() <= 65535
