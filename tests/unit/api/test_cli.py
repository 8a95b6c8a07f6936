"""`duka` command-line parsing and dispatch, with the side effects replaced by recorders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api import cli
from duka.core.settings import Settings
from duka.db import migrate
from duka.db.embedded import EmbeddedPostgresError

CONFIGURED = "postgresql://app@db.internal:5432/duka"


@pytest.fixture
def use_settings(monkeypatch: pytest.MonkeyPatch) -> Any:
    def use(**fields: Any) -> Settings:
        settings = Settings(**{"database_url": None, **fields})
        monkeypatch.setattr(cli, "get_settings", lambda: settings)
        return settings

    return use


class FakeEmbedded:
    url = "postgresql://postgres@127.0.0.1:54329/duka"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def ensure_running(self) -> str:
        self.calls.append("start")
        return self.url

    def stop(self) -> None:
        self.calls.append("stop")


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> FakeEmbedded:
    fake = FakeEmbedded()
    monkeypatch.setattr(cli, "for_state_dir", lambda state_dir, port: fake)

    async def resolve(settings: Settings) -> str:
        if settings.database_url is not None:
            return settings.database_url.get_secret_value()
        return fake.ensure_running()

    monkeypatch.setattr(cli, "resolve_database_url", resolve)
    return fake


def test_migrate_upgrades_to_head(
    monkeypatch: pytest.MonkeyPatch, use_settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    use_settings(database_url=CONFIGURED)
    upgraded: list[str] = []
    monkeypatch.setattr(migrate, "upgrade", upgraded.append)
    assert cli.main(["migrate"]) == 0
    assert upgraded == ["postgresql+psycopg://app@db.internal:5432/duka"]
    assert f"migrations at {migrate.head_revision()}" in capsys.readouterr().err


def test_migrate_downgrade(
    monkeypatch: pytest.MonkeyPatch, use_settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    use_settings(database_url=CONFIGURED)
    downgraded: list[tuple[str, str]] = []
    monkeypatch.setattr(migrate, "downgrade", lambda url, rev: downgraded.append((url, rev)))
    monkeypatch.setattr(migrate, "upgrade", lambda url: pytest.fail("must not upgrade"))
    assert cli.main(["migrate", "--downgrade", "base"]) == 0
    assert downgraded == [("postgresql+psycopg://app@db.internal:5432/duka", "base")]
    assert "migrations at base" in capsys.readouterr().err


def test_migrate_without_a_url_uses_the_embedded_server(
    monkeypatch: pytest.MonkeyPatch, use_settings: Any, embedded: FakeEmbedded
) -> None:
    use_settings()
    upgraded: list[str] = []
    monkeypatch.setattr(migrate, "upgrade", upgraded.append)
    cli.main(["migrate"])
    assert upgraded == ["postgresql+psycopg://postgres@127.0.0.1:54329/duka"]
    assert embedded.calls == ["start"]


@pytest.mark.parametrize(
    ("argv", "access_log"), [(["serve"], False), (["serve", "--access-log"], True)]
)
def test_serve_runs_uvicorn_on_the_configured_address(
    monkeypatch: pytest.MonkeyPatch,
    use_settings: Any,
    embedded: FakeEmbedded,
    argv: list[str],
    access_log: bool,
) -> None:
    use_settings(database_url=CONFIGURED, port=8123, workers=3)
    runs: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: runs.append((app, kw)))
    assert cli.main(argv) == 0
    [(app, kwargs)] = runs
    assert app == "api.asgi:app"
    assert kwargs["host"] == "127.0.0.1"
    assert (kwargs["port"], kwargs["workers"]) == (8123, 3)
    assert kwargs["access_log"] is access_log
    assert kwargs["server_header"] is False
    # Named, so that a missing one fails the start instead of a silent, slower fallback.
    assert (kwargs["loop"], kwargs["http"]) == ("uvloop", "httptools")
    assert embedded.calls == []  # a configured database is not started here


def test_serve_starts_the_embedded_server_once_before_the_workers(
    monkeypatch: pytest.MonkeyPatch, use_settings: Any, embedded: FakeEmbedded
) -> None:
    use_settings()
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    cli.main(["serve"])
    assert embedded.calls == ["start"]


def test_db_start_stop_and_url(
    use_settings: Any, embedded: FakeEmbedded, capsys: pytest.CaptureFixture[str]
) -> None:
    use_settings()
    assert cli.main(["db", "start"]) == 0
    assert capsys.readouterr().out.strip() == embedded.url
    assert cli.main(["db", "stop"]) == 0
    assert embedded.calls == ["start", "stop"]
    cli.main(["db", "url"])
    assert capsys.readouterr().out.strip() == embedded.url
    use_settings(database_url=CONFIGURED)
    cli.main(["db", "url"])
    assert capsys.readouterr().out.strip() == CONFIGURED


@pytest.mark.parametrize(
    "argv", [[], ["db"], ["db", "restart"], ["launch"], ["dev"], ["serve", "--port", "1"]]
)
def test_bad_arguments_exit_with_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    assert "usage: duka" in capsys.readouterr().err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "migrate", "db", "dev"):
        assert command in out


def test_state_dir_setting_reaches_the_embedded_server(
    monkeypatch: pytest.MonkeyPatch, use_settings: Any, tmp_path: Path
) -> None:
    use_settings(state_dir=tmp_path, embedded_pg_port=6543)
    seen: list[tuple[Path, int]] = []

    class Stopped:
        def stop(self) -> None:
            pass

    def fake(state_dir: Path, port: int) -> Stopped:
        seen.append((state_dir, port))
        return Stopped()

    monkeypatch.setattr(cli, "for_state_dir", fake)
    cli.main(["db", "stop"])
    assert seen == [(tmp_path, 6543)]


def test_serve_passes_the_server_limits_and_timeouts(
    monkeypatch: pytest.MonkeyPatch, use_settings: Any, embedded: FakeEmbedded
) -> None:
    use_settings(
        database_url=CONFIGURED,
        server_limit_concurrency=300,
        server_backlog=512,
        server_timeout_keep_alive_s=7,
        server_timeout_graceful_shutdown_s=25,
        server_limit_max_requests=10_000,
    )
    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: runs.append(kw))
    assert cli.main(["serve"]) == 0
    [kwargs] = runs
    assert kwargs["limit_concurrency"] == 300
    assert kwargs["backlog"] == 512
    assert kwargs["timeout_keep_alive"] == 7
    assert kwargs["timeout_graceful_shutdown"] == 25
    assert kwargs["limit_max_requests"] == 10_000


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        ({}, ["DUKA_DATABASE_URL", "DUKA_OIDC_ISSUER"]),
        ({"database_url": CONFIGURED}, ["DUKA_OIDC_ISSUER"]),
        ({"oidc_issuer": "https://sso.example.com/realms/duka"}, ["DUKA_DATABASE_URL"]),
    ],
)
def test_production_serve_refuses_to_start_without_its_services(
    monkeypatch: pytest.MonkeyPatch,
    use_settings: Any,
    embedded: FakeEmbedded,
    capsys: pytest.CaptureFixture[str],
    fields: dict[str, Any],
    missing: list[str],
) -> None:
    use_settings(environment="production", **fields)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: pytest.fail("must not serve"))
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    for name in missing:
        assert name in err
    assert "production" in err
    assert embedded.calls == []  # no embedded PostgreSQL in production


def test_production_migrate_refuses_the_embedded_database(
    monkeypatch: pytest.MonkeyPatch,
    use_settings: Any,
    embedded: FakeEmbedded,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_settings(environment="production")
    monkeypatch.setattr(migrate, "upgrade", lambda url: pytest.fail("must not migrate"))
    assert cli.main(["migrate"]) == 2
    assert "DUKA_DATABASE_URL" in capsys.readouterr().err
    assert embedded.calls == []


def test_production_app_refuses_to_be_built_without_its_services() -> None:
    from api.main import create_app
    from duka.core.settings import MissingProductionSettingsError

    with pytest.raises(MissingProductionSettingsError, match="DUKA_OIDC_ISSUER"):
        create_app(Settings(environment="production", database_url=CONFIGURED))
    app = create_app(
        Settings(
            environment="production",
            database_url=CONFIGURED,
            oidc_issuer="https://sso.example.com/realms/duka",
        )
    )
    assert app.state.settings.environment == "production"


def test_embedded_server_problem_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, use_settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    use_settings()

    class Missing:
        def ensure_running(self) -> str:
            raise EmbeddedPostgresError("DUKA_DATABASE_URL is unset and ...")

    monkeypatch.setattr(cli, "for_state_dir", lambda state_dir, port: Missing())
    assert cli.main(["db", "start"]) == 1
    assert capsys.readouterr().err == "[duka] error: DUKA_DATABASE_URL is unset and ...\n"
