"""One real Prefect server per test session, on its own database (`prefect_test`) of the
test PostgreSQL, bound to 127.0.0.1 on a free port.

Its start (Python imports and migrations: tens of seconds on a busy 2-core machine) is
launched as soon as collection shows a test needs it, once PostgreSQL answers, so that it
overlaps the tests that run first; the `prefect_server` fixture then waits for it. A server
that does not start fails the tests that need it (never a skip).

The fixture points this process's Prefect client at the server (PREFECT_API_URL).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from devtools.prefect_server import PrefectServer

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "prefect_test"
PG_WAIT_S = 600.0
VACUUM_LOOP_S = 2

_server: PrefectServer | None = None
_launcher: threading.Thread | None = None
_launch_error: BaseException | None = None


def _test_server_url() -> str:
    """The test PostgreSQL as tests/conftest.py's `database_url` fixture will have it."""
    configured = os.environ.get("DUKA_TEST_DATABASE_URL")
    if configured:
        return configured
    port = int(os.environ.get("DUKA_TEST_PG_PORT", "54330"))
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _prefect_database_url(server_url: str) -> str:
    return make_url(server_url).set(database=DATABASE).render_as_string(hide_password=False)


def _wait_for_postgres(url: str) -> None:
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    deadline = time.monotonic() + PG_WAIT_S
    while True:
        try:
            with psycopg.connect(admin, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _launch(server_url: str) -> None:
    global _server, _launch_error
    try:
        _wait_for_postgres(server_url)
        server = PrefectServer(
            database_url=_prefect_database_url(server_url),
            home=ROOT / ".state" / "test-prefect",
            ui=False,
            all_services=False,
            # Prefect's retention vacuum every few seconds instead of hourly, so a test sees
            # it delete (tests/integration/flows/test_retention.py).
            extra_env={"PREFECT_SERVER_SERVICES_DB_VACUUM_LOOP_SECONDS": str(VACUUM_LOOP_S)},
        )
        server.start()
        _server = server
    except BaseException as exc:  # reported by the fixture, in the test that needs it
        _launch_error = exc


def launch_early(server_url: str | None = None) -> None:
    global _launcher
    if _launcher is None:
        _launcher = threading.Thread(
            target=_launch, args=(server_url or _test_server_url(),), daemon=True
        )
        _launcher.start()


def pytest_collection_finish(session: pytest.Session) -> None:
    if any("prefect_server" in getattr(item, "fixturenames", ()) for item in session.items):
        launch_early()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None


def _use(api_url: str | None) -> None:
    import prefect.context

    if api_url is None:
        os.environ.pop("PREFECT_API_URL", None)
    else:
        os.environ["PREFECT_API_URL"] = api_url
    prefect.context.refresh_global_settings_context()


@pytest.fixture(scope="session")
def prefect_server(database_url: str) -> Iterator[PrefectServer]:
    """The session's Prefect server; this process's Prefect client talks to it."""
    launch_early(database_url)
    assert _launcher is not None
    _launcher.join()
    if _launch_error is not None:
        raise RuntimeError("the Prefect server could not be started") from _launch_error
    assert _server is not None
    _server.wait_ready()
    previous = os.environ.get("PREFECT_API_URL")
    _use(_server.api_url)
    # One log line per task run would dominate the tests' time (flows/__main__.py does
    # the same for the runner).
    logging.getLogger("prefect.task_runs").setLevel(logging.WARNING)
    yield _server
    _flush_to_api()
    _use(previous)
    # Before the session's PostgreSQL stops under it.
    _server.stop()


def _flush_to_api() -> None:
    """Send the logs and events still queued while the server is up."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=10)
