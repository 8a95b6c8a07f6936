"""`make dev`: the local stack runner, with processes, HTTP and signals replaced by fakes."""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools import dev
from devtools.http_wait import NotReadyError
from devtools.keycloak_dist import KeycloakError
from duka.core.settings import Settings
from duka.db import migrate
from duka.db.embedded import EmbeddedPostgresError


class FakeProcess:
    def __init__(self, waits: list[Any]) -> None:
        self.waits = waits
        self.terminated = False
        self.killed = False
        self.wait_timeouts: list[float | None] = []

    def wait(self, timeout: float | None = None) -> int:
        self.wait_timeouts.append(timeout)
        outcome = self.waits.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return int(outcome)

    def terminate(self) -> None:
        self.terminated = True

    def kill(self) -> None:
        self.killed = True


ISSUER = "https://sso.example/realms/duka"


def configured(**fields: Any) -> Settings:
    """Settings naming a database and an issuer: no local server is started."""
    return Settings(**{"database_url": "postgresql://app@db/duka", "oidc_issuer": ISSUER, **fields})


class FakeKeycloak:
    base_url = "http://127.0.0.1:8180"
    admin_user = "admin"
    admin_password = "pw"
    log_file = Path("/tmp/kc.log")

    def __init__(self, instance_dir: Path, http_port: int, fail: Exception | None = None) -> None:
        self.instance_dir = instance_dir
        self.http_port = http_port
        self.fail = fail
        self.events: list[str] = []

    def start(self) -> None:
        self.events.append("start")

    def wait_ready(self) -> float:
        self.events.append("wait_ready")
        if self.fail is not None:
            raise self.fail
        return 1.0

    def stop(self) -> None:
        self.events.append("stop")


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Record migrations, the API process, the readiness wait and the signal handler."""
    seen: dict[str, Any] = {"migrated": [], "argv": None, "ready": True, "handlers": {}}
    seen["process"] = FakeProcess([0, 0])

    def popen(argv: list[str], env: dict[str, str] | None = None) -> FakeProcess:
        seen["argv"] = argv
        seen["env"] = env
        process: FakeProcess = seen["process"]
        return process

    def wait_ready(url: str, **options: Any) -> None:
        seen["ready_url"] = url
        if not seen["ready"]:
            raise NotReadyError("the API did not become ready")

    def install(signum: int, handler: Callable[..., Any]) -> None:
        seen["handlers"][signum] = handler

    monkeypatch.setattr(migrate, "upgrade", seen["migrated"].append)
    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(dev, "wait_for_http", wait_ready)
    monkeypatch.setattr(signal, "signal", install)
    monkeypatch.setattr(dev, "start_sms_stack", FakeSmsStack)
    return seen


class FakeSmsStack:
    """Stands in for the Prefect server, AT sandbox and SMS runner of `make dev`."""

    def __init__(self, settings: object, db_url: str, *, api_base_url: str) -> None:
        self.api_base_url = api_base_url

    def __enter__(self) -> FakeSmsStack:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def api_env(self) -> dict[str, str]:
        return {"DUKA_AT_CALLBACK_SECRET": "fake-callback-secret"}

    def urls(self) -> list[tuple[str, str]]:
        return [("Prefect UI", "http://127.0.0.1:4200"), ("SMS inbox", "http://sandbox/inbox")]


def test_dev_migrates_starts_the_api_and_prints_the_urls(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert dev.run_dev(configured(port=8111)) == 0
    assert stack["migrated"] == ["postgresql+psycopg://app@db/duka"]
    assert stack["argv"][1:] == ["-m", "api.cli", "serve", "--access-log"]
    assert stack["ready_url"] == "http://127.0.0.1:8111/readyz"
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8111/docs" in out
    assert "http://127.0.0.1:8111/api/v1" in out
    assert "Prefect UI" in out
    assert "http://127.0.0.1:4200" in out
    assert "SMS inbox" in out
    assert stack["env"]["DUKA_AT_CALLBACK_SECRET"] == "fake-callback-secret"
    assert "DUKA_DATABASE_URL" in out
    assert "app@db" not in out  # the configured URL may hold a password: never printed
    assert f"OIDC issuer  {ISSUER}" in out
    assert "yours (DUKA_OIDC_ISSUER)" in out
    assert stack["process"].terminated


def test_dev_prints_a_progress_line_per_step_and_when_it_was_ready(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert dev.run_dev(configured()) == 0
    captured = capsys.readouterr()
    steps = [line for line in captured.err.splitlines() if line.startswith("[duka] ")]
    assert steps[0] == "[duka] PostgreSQL is up: applying migrations"
    assert steps[1].startswith("[duka] starting Prefect (server and UI)")
    assert re.fullmatch(r"\[duka\] Prefect and the SMS runner are up in \d+ s", steps[2])
    assert re.search(r"Duka is running, ready \d+ s after `make dev` started", captured.out)


class Embedded:
    def __init__(self, running: bool) -> None:
        self.running = running
        self.stopped = False

    def is_ready(self) -> bool:
        return self.running

    def ensure_running(self) -> str:
        return "postgresql://postgres@127.0.0.1:54329/duka"

    def stop(self) -> None:
        self.stopped = True


@pytest.mark.parametrize("already_running", [False, True])
def test_dev_uses_the_embedded_server_without_a_url_and_stops_it_if_it_started_it(
    stack: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    already_running: bool,
) -> None:
    embedded = Embedded(running=already_running)
    monkeypatch.setattr(dev, "for_state_dir", lambda state_dir, port: embedded)
    assert dev.run_dev(configured(database_url=None, state_dir=Path(".state"))) == 0
    assert stack["migrated"] == ["postgresql+psycopg://postgres@127.0.0.1:54329/duka"]
    assert "(embedded, data in .state/postgres)" in capsys.readouterr().out
    assert embedded.stopped is not already_running


def test_dev_runs_a_local_keycloak_without_an_issuer(
    stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made: list[FakeKeycloak] = []

    def fake(instance_dir: Path, http_port: int) -> FakeKeycloak:
        made.append(FakeKeycloak(instance_dir, http_port))
        return made[-1]

    monkeypatch.setattr(dev, "KeycloakServer", fake)
    monkeypatch.setattr(dev, "ensure_docs_redirect", lambda *a: pytest.fail("port 8000"))
    settings = configured(oidc_issuer=None, state_dir=Path("st"), oidc_dev_port=8189, port=8000)
    assert dev.run_dev(settings) == 0
    [keycloak] = made
    assert keycloak.instance_dir == Path("st").resolve() / "keycloak"
    assert keycloak.http_port == 8189
    assert keycloak.events == ["start", "wait_ready", "stop"]
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8180/admin" in out
    assert "OIDC issuer  http://127.0.0.1:8189/realms/duka" in out


@pytest.mark.parametrize("fails", [False, True])
def test_dev_on_another_port_registers_the_docs_login_redirect(
    stack: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fails: bool,
) -> None:
    monkeypatch.setattr(dev, "KeycloakServer", FakeKeycloak)
    registered: list[tuple[Any, str, str]] = []

    def ensure(admin: Any, base: str, client_id: str) -> None:
        registered.append((admin, base, client_id))
        if fails:
            raise httpx.ConnectError("refused")

    monkeypatch.setattr(dev, "ensure_docs_redirect", ensure)
    monkeypatch.setattr(dev, "AdminApi", lambda url, user, password: (url, user, password))
    assert dev.run_dev(configured(oidc_issuer=None, port=8123)) == 0
    [(admin, base, client_id)] = registered
    assert admin == ("http://127.0.0.1:8180", "admin", "pw")
    assert (base, client_id) == ("http://127.0.0.1:8123", "duka-swagger")
    warning = "the /docs and GraphiQL login may not work on http://127.0.0.1:8123"
    assert (warning in capsys.readouterr().err) is fails


def test_a_keycloak_that_fails_stops_dev_with_its_message(
    stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made: list[FakeKeycloak] = []

    def fake(instance_dir: Path, http_port: int) -> FakeKeycloak:
        made.append(FakeKeycloak(instance_dir, http_port, fail=KeycloakError("no java")))
        return made[-1]

    monkeypatch.setattr(dev, "KeycloakServer", fake)
    assert dev.run_dev(configured(oidc_issuer=None)) == 1
    assert "[duka] no java" in capsys.readouterr().err
    assert made[0].events == ["start", "wait_ready", "stop"]
    assert stack["process"].terminated  # the API, started early, is stopped with the rest


def test_dev_fails_when_the_api_never_gets_ready(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    stack["ready"] = False
    assert dev.run_dev(configured()) == 1
    assert "did not become ready" in capsys.readouterr().err
    assert stack["process"].terminated


def test_ctrl_c_stops_the_api_cleanly(stack: dict[str, Any]) -> None:
    stack["process"] = FakeProcess([KeyboardInterrupt(), 0])
    assert dev.run_dev(configured()) == 0
    assert stack["process"].terminated
    assert stack["process"].wait_timeouts == [None, 10]
    assert not stack["process"].killed


def test_sigterm_is_turned_into_a_clean_stop(stack: dict[str, Any]) -> None:
    dev.run_dev(configured())
    handler = stack["handlers"][signal.SIGTERM]
    with pytest.raises(KeyboardInterrupt):
        handler(signal.SIGTERM, None)


def test_an_api_that_ignores_terminate_is_killed(stack: dict[str, Any]) -> None:
    stack["process"] = FakeProcess([3, subprocess.TimeoutExpired("api", 10)])
    assert dev.run_dev(configured()) == 3
    assert stack["process"].killed


def test_main_runs_the_stack_with_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configured()
    seen: list[Settings] = []

    def fake_run_dev(s: Settings) -> int:
        seen.append(s)
        return 7

    monkeypatch.setattr(dev, "get_settings", lambda: settings)
    monkeypatch.setattr(dev, "run_dev", fake_run_dev)
    assert dev.main([]) == 7
    assert seen == [settings]


def test_main_reports_an_embedded_database_problem_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(s: Settings) -> int:
        raise EmbeddedPostgresError("initdb is missing")

    monkeypatch.setattr(dev, "get_settings", configured)
    monkeypatch.setattr(dev, "run_dev", fail)
    assert dev.main([]) == 1
    assert capsys.readouterr().err == "[duka] error: initdb is missing\n"


def test_make_dev_prints_the_graphiql_url_when_it_is_on() -> None:
    base = "http://127.0.0.1:8000"
    on = dev._graphql_lines(Settings(environment="development"), base)
    assert (
        on[0] == f"  GraphQL      POST {base}/graphql  (subscriptions: ws://127.0.0.1:8000/graphql)"
    )
    assert on[1].startswith(f"  GraphiQL     {base}/graphql  ")
    assert "CSP" not in on[1]
    assert (
        dev._graphql_lines(Settings(environment="development", graphql_ide=False), base) == on[:1]
    )
