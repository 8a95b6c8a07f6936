"""A real Keycloak in dev mode on loopback ports, for `make dev` and for the test session.

Each instance has its own folder (data, imported realm files, log) and shares the unpacked
distribution: `-Dkc.home.dir` points Keycloak at the instance folder, whose lib/ links back
to the distribution so the server image built once (Quarkus augmentation, ~30 s) is reused.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from devtools.java import JavaChoice, find_java
from devtools.keycloak_dist import (
    KEYCLOAK_VERSION,
    ROOT,
    KeycloakError,
    ensure_distribution,
    locked,
    progress,
)

REALM = "duka"
REALM_DIR = ROOT / "deploy" / "keycloak"
# The master realm's bootstrap administrator: fake, local-only development values.
DEV_ADMIN_USER = "duka-dev-admin"
DEV_ADMIN_PASSWORD = "duka-dev-admin-password"  # noqa: S105
# Build-time options: every instance must use the same ones, or Keycloak rebuilds its image.
# client-secret-rotation (a preview feature): the operator rotates client secrets with a
# grace period for the old one (docs/operator.md).
BUILD_OPTIONS = ("--health-enabled=true", "--features=client-secret-rotation")
# C1 only: Keycloak starts in ~10 s instead of ~25 s on two cores; dev and tests never run
# long enough for the C2 compiler to pay off.
JAVA_OPTS_APPEND = "-XX:TieredStopAtLevel=1"
_SHARED = ("lib", "providers", "themes", "conf")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        # As servers bind: connections of a previous run in TIME_WAIT do not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _own_group_dying_with_parent() -> None:
    """In the child before exec: a process group of its own (stopped as one), and SIGTERM
    when the process that started it dies, so a killed test run leaves no Keycloak behind
    (kc.sh passes the signal on to Java)."""
    os.setsid()
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class KeycloakServer:
    instance_dir: Path
    http_port: int = field(default_factory=free_port)
    management_port: int = field(default_factory=free_port)
    realm_files: tuple[Path, ...] = field(
        default_factory=lambda: tuple(sorted(REALM_DIR.glob("*.json")))
    )
    admin_user: str = DEV_ADMIN_USER
    admin_password: str = DEV_ADMIN_PASSWORD
    # The Java to run on; chosen by find_java() at start() when not given.
    java: JavaChoice | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _started_at: float = field(default=0.0, init=False, repr=False)
    _announced: bool = field(default=False, init=False, repr=False)
    # While this instance's first start builds the shared image: the held lock and marker.
    _building: tuple[ExitStack, Path, str] | None = field(default=None, init=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log_file(self) -> Path:
        return self.instance_dir / "keycloak.log"

    def issuer(self, realm: str = REALM) -> str:
        return f"{self.base_url}/realms/{realm}"

    def start(self) -> None:
        """Launch Keycloak without waiting for it (see wait_ready)."""
        if self._process is not None:
            return
        dist = ensure_distribution()
        if self.java is None:
            self.java = find_java()
        java_home = self.java.home
        if not port_is_free(self.http_port):
            raise KeycloakError(
                f"port {self.http_port} on 127.0.0.1 is taken (another Keycloak still "
                "running?); stop it or choose another port (DUKA_OIDC_DEV_PORT)"
            )
        self._prepare(dist)
        marker, options = dist / ".duka-built", " ".join(BUILD_OPTIONS)
        if not (marker.exists() and marker.read_text() == options):
            # The first start builds the server image inside the shared distribution: other
            # instances wait for it. The lock is held until wait_ready() sees this one ready,
            # so the caller brings up PostgreSQL and Prefect meanwhile.
            building = ExitStack()
            building.enter_context(locked(dist.parent / ".lock"))
            if marker.exists() and marker.read_text() == options:
                building.close()  # another instance built it while this one waited
            else:
                progress("Keycloak's first start builds its server image (once)")
                self._building = (building, marker, options)
        try:
            self._launch(dist, java_home)
        except BaseException:
            self._end_build(built=False)
            raise

    def _end_build(self, *, built: bool) -> None:
        building, self._building = self._building, None
        if building is not None:
            lock, marker, options = building
            if built:
                marker.write_text(options)
            lock.close()

    def _prepare(self, dist: Path) -> None:
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        for name in _SHARED:
            link = self.instance_dir / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(dist / name, target_is_directory=True)
        imports = self.instance_dir / "data" / "import"
        shutil.rmtree(imports, ignore_errors=True)
        imports.mkdir(parents=True)
        for realm_file in self.realm_files:
            shutil.copy2(realm_file, imports / realm_file.name)

    def _launch(self, dist: Path, java_home: Path) -> None:
        if not port_is_free(self.management_port):
            # Only Keycloak's own health checks use it: a free port chosen at construction
            # may be taken by now (a Maven download or a build lock later, on a busy machine).
            self.management_port = free_port()
        progress(
            f"starting Keycloak {KEYCLOAK_VERSION} on {self.base_url} "
            f"(management port {self.management_port}, data in {self.instance_dir})"
        )
        env = {
            **os.environ,
            "JAVA_HOME": str(java_home),
            "JAVA_OPTS_APPEND": JAVA_OPTS_APPEND,
            "KC_BOOTSTRAP_ADMIN_USERNAME": self.admin_user,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
        }
        command = [
            str(dist / "bin" / "kc.sh"),
            f"-Dkc.home.dir={self.instance_dir}",
            "start-dev",
            "--import-realm",
            *BUILD_OPTIONS,
            "--http-host=127.0.0.1",
            f"--http-port={self.http_port}",
            f"--http-management-port={self.management_port}",
            # A fixed issuer, whatever host name a browser or client uses to reach it.
            f"--hostname={self.base_url}",
        ]
        with self.log_file.open("ab") as log:
            # A fixed argv for our own server; nothing user-supplied reaches it.
            self._process = subprocess.Popen(  # noqa: S603
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_own_group_dying_with_parent,
            )
        self._started_at = time.monotonic()
        self._announced = False

    def is_ready(self) -> bool:
        try:
            health = httpx.get(f"http://127.0.0.1:{self.management_port}/health/ready", timeout=2)
            realm = httpx.get(f"{self.issuer()}/.well-known/openid-configuration", timeout=2)
        except httpx.HTTPError:
            return False
        return health.status_code == 200 and realm.status_code == 200

    def wait_ready(self, timeout_s: float = 300) -> float:
        """Block until Keycloak serves the realm; return the seconds since start()."""
        if self._process is None:
            raise KeycloakError("Keycloak was not started")
        deadline = time.monotonic() + timeout_s
        next_note = time.monotonic() + 10
        while not self.is_ready():
            if self._process.poll() is not None:
                self._end_build(built=False)
                raise KeycloakError(
                    f"Keycloak exited with status {self._process.returncode}; "
                    f"end of {self.log_file}:\n{self._log_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise KeycloakError(
                    f"Keycloak was not ready after {timeout_s:.0f} s; end of {self.log_file}:\n"
                    f"{self._log_tail()}"
                )
            if time.monotonic() > next_note:
                progress(
                    f"still waiting for Keycloak ({time.monotonic() - self._started_at:.0f} s)"
                )
                next_note += 10
            time.sleep(0.25)
        elapsed = time.monotonic() - self._started_at
        self._end_build(built=True)
        if not self._announced:
            progress(f"Keycloak is ready at {self.base_url} ({elapsed:.0f} s after its start)")
            self._announced = True
        return elapsed

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        self._end_build(built=False)
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def __enter__(self) -> KeycloakServer:
        self.start()
        self.wait_ready()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
