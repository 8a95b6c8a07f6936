"""The Keycloak launcher's own logic, with a stand-in kc.sh (the real one runs in every
session: tests/support/keycloak.py): the command line, the first-build lock, readiness,
failures with the log's tail, and stopping the whole process group."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devtools import keycloak as keycloak_module
from devtools import keycloak_dist
from devtools.java import JavaChoice
from devtools.keycloak import BUILD_OPTIONS, KeycloakServer
from devtools.keycloak_dist import KeycloakError

# Answers like Keycloak once "started": 200 on the management port's /health/ready and the
# realm's discovery document; records its arguments and environment first.
READY_SERVER = """
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
args = dict(a.split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
with open(os.path.join(os.path.dirname(__file__), "seen.json"), "w") as f:
    json.dump({"argv": sys.argv[1:], "admin": os.environ.get("KC_BOOTSTRAP_ADMIN_USERNAME"),
               "java_opts": os.environ.get("JAVA_OPTS_APPEND")}, f)
class Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *a): pass
for port in (args["--http-management-port"], args["--http-port"]):
    server = ThreadingHTTPServer(("127.0.0.1", int(port)), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
threading.Event().wait()
"""


STAND_IN_JAVA = JavaChoice(Path(sys.prefix), 25, "a stand-in: kc.sh here is Python")


def fake_dist(root: Path, body: str) -> Path:
    dist = root / "dist"
    for name in ("lib", "providers", "themes", "conf", "bin"):
        (dist / name).mkdir(parents=True)
    script = dist / "bin" / "kc.sh"
    script.write_text(f"#!{sys.executable}\n{textwrap.dedent(body)}")
    script.chmod(0o755)
    return dist


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KeycloakServer:
    realm = tmp_path / "realm.json"
    realm.write_text("{}")
    return KeycloakServer(
        instance_dir=tmp_path / "instance", realm_files=(realm,), java=STAND_IN_JAVA
    )


def use_dist(monkeypatch: pytest.MonkeyPatch, dist: Path) -> None:
    monkeypatch.setattr(keycloak_module, "ensure_distribution", lambda: dist)


def lock_is_held(path: Path) -> bool:
    with path.open("a") as handle:  # a new open file: conflicts with any other flock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_first_start_builds_under_the_lock_then_later_starts_do_not_wait(
    server: KeycloakServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = fake_dist(tmp_path, READY_SERVER)
    use_dist(monkeypatch, dist)
    try:
        server.start()  # no build marker yet: returns at once, holding the build lock
        assert not (dist / ".duka-built").exists()
        assert lock_is_held(dist.parent / ".lock")
        assert server.wait_ready() >= 0
        assert (dist / ".duka-built").read_text() == " ".join(BUILD_OPTIONS)
        assert not lock_is_held(dist.parent / ".lock")
        seen = (dist / "bin" / "seen.json").read_text()
        assert "start-dev" in seen
        assert "--import-realm" in seen
        assert f"--hostname=http://127.0.0.1:{server.http_port}" in seen
        assert "--http-host=127.0.0.1" in seen
        assert f"-Dkc.home.dir={server.instance_dir}" in seen
        assert "TieredStopAtLevel=1" in seen
        assert (server.instance_dir / "lib").resolve() == (dist / "lib").resolve()
        assert (server.instance_dir / "data" / "import" / "realm.json").read_text() == "{}"
        server.start()  # already running: nothing happens
    finally:
        server.stop()
    assert server.is_ready() is False
    server.stop()  # stopping twice is harmless


@pytest.mark.parametrize("how", ["exits", "is stopped"])
def test_a_first_build_that_does_not_finish_releases_the_lock_unbuilt(
    server: KeycloakServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    body = "raise SystemExit(3)" if how == "exits" else "import time; time.sleep(600)"
    dist = fake_dist(tmp_path, body)
    use_dist(monkeypatch, dist)
    server.start()
    assert lock_is_held(dist.parent / ".lock")
    if how == "exits":
        with pytest.raises(KeycloakError, match="exited with status 3"):
            server.wait_ready()
    server.stop()
    assert not lock_is_held(dist.parent / ".lock")
    assert not (dist / ".duka-built").exists()


def test_a_launch_that_fails_releases_the_build_lock(
    server: KeycloakServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = fake_dist(tmp_path, "")
    (dist / "bin" / "kc.sh").chmod(0o644)  # not executable: Popen fails
    use_dist(monkeypatch, dist)
    with pytest.raises(PermissionError):
        server.start()
    assert not lock_is_held(dist.parent / ".lock")


def test_an_instance_that_waited_for_another_build_does_not_build_again(
    server: KeycloakServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = fake_dist(tmp_path, READY_SERVER)
    use_dist(monkeypatch, dist)
    real_locked = keycloak_dist.locked

    @contextmanager
    def built_meanwhile(path: Path) -> Iterator[None]:
        (dist / ".duka-built").write_text(" ".join(BUILD_OPTIONS))  # the other one finished
        with real_locked(path):
            yield

    monkeypatch.setattr(keycloak_module, "locked", built_meanwhile)
    try:
        server.start()
        assert server._building is None
        assert not lock_is_held(dist.parent / ".lock")
    finally:
        server.stop()


def test_a_server_that_exits_reports_its_log(
    server: KeycloakServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = fake_dist(tmp_path, 'print("ERROR: Java 17 is too old"); raise SystemExit(3)')
    (dist / ".duka-built").write_text(" ".join(BUILD_OPTIONS))
    use_dist(monkeypatch, dist)
    server.start()
    with pytest.raises(KeycloakError, match=r"(?s)exited with status 3.*Java 17 is too old"):
        server.wait_ready()


def test_a_server_that_never_gets_ready_is_stopped(
    server: KeycloakServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = fake_dist(tmp_path, "import time; print('booting', flush=True); time.sleep(600)")
    (dist / ".duka-built").write_text(" ".join(BUILD_OPTIONS))
    use_dist(monkeypatch, dist)
    server.start()
    process = server._process
    assert process is not None
    with pytest.raises(KeycloakError, match=r"(?s)not ready after 1 s.*booting"):
        server.wait_ready(timeout_s=1)
    assert process.poll() is not None  # the whole group was stopped


def test_waiting_before_starting_is_an_error(server: KeycloakServer) -> None:
    with pytest.raises(KeycloakError, match="not started"):
        server.wait_ready()


def test_a_management_port_taken_since_construction_is_replaced(
    server: KeycloakServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = fake_dist(tmp_path, READY_SERVER)
    (dist / ".duka-built").write_text(" ".join(BUILD_OPTIONS))
    use_dist(monkeypatch, dist)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", server.management_port))
        taken.listen()
        try:
            server.start()
            assert server.management_port != taken.getsockname()[1]
            assert server.wait_ready() >= 0
        finally:
            server.stop()


def test_a_taken_port_is_refused_before_launching(
    server: KeycloakServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_dist(monkeypatch, fake_dist(tmp_path, "raise SystemExit(0)"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server.http_port = taken.getsockname()[1]
        with pytest.raises(KeycloakError, match=f"port {server.http_port} .* is taken"):
            server.start()


def test_keycloak_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    dist = fake_dist(tmp_path, "import time; time.sleep(600)")
    (dist / ".duka-built").write_text(" ".join(BUILD_OPTIONS))
    # A parent that starts Keycloak and then dies without stopping it (a killed test run).
    parent = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from devtools import keycloak as k
        k.ensure_distribution = lambda: Path({str(dist)!r})
        java = k.JavaChoice(Path(sys.prefix), 25, "stand-in")
        server = k.KeycloakServer(
            instance_dir=Path({str(tmp_path / "inst")!r}), realm_files=(), java=java
        )
        server.start()
        print(server._process.pid, flush=True)
        os._exit(0)
    """)
    done = subprocess.run(
        [sys.executable, "-c", parent], capture_output=True, text=True, timeout=60, check=True
    )
    child = int(done.stdout.strip().splitlines()[-1])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(child, signal.SIGKILL)
    raise AssertionError("the stand-in Keycloak outlived its parent")
