"""A systemd-booted Debian bookworm container playing the playbook's target host.

The image (deploy/ansible/testhost/Containerfile) sits on the locally made Debian base. The
container runs systemd as PID 1 (`--systemd=always`) in its own network namespace and
publishes sshd, nginx's HTTP and HTTPS ports on 127.0.0.1 only. The services the host
talks to (PostgreSQL, Keycloak, Prefect, the AT sandbox) run on this machine's loopback:
`tunnel()` forwards each of them to the same port on the container's loopback over ssh, so
every URL the role configures is the one the tests use (an issuer must match exactly).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devtools.keycloak import free_port

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "deploy" / "ansible" / "testhost"
IMAGE = "localhost/duka-ansible-testhost:bookworm"
# Podman on this kernel: runc (crun refuses the hybrid cgroup layout) and explicit rlimits
# (the defaults are refused with EPERM); see docs/deploy.md.
PODMAN = [
    "podman",
    "--runtime",
    "runc",
]
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]
# A real host's systemd builds the units' sandboxes (mount namespaces, read-only /proc/sys,
# private /dev). In a container without CAP_SYS_ADMIN systemd skips them silently (a write
# under ProtectSystem=strict then fails with EACCES, not EROFS): the test would prove less.
HOST_CAPS = ["--cap-add", "SYS_ADMIN", "--cap-add", "MKNOD", "--cap-add", "SYS_RESOURCE"]


class TestHostError(RuntimeError):
    pass


def podman(*args: str, timeout_s: float = 600, check: bool = True) -> str:
    done = subprocess.run(
        [*PODMAN, *args], capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if check and done.returncode != 0:
        raise TestHostError(
            f"podman {' '.join(args)} exited {done.returncode}\n{done.stdout[-3000:]}"
            f"\n{done.stderr[-3000:]}"
        )
    return done.stdout


def base_image() -> str:
    """The locally made Debian base: DUKA_ANSIBLE_BASE_IMAGE, or the image CLI's `base`."""
    configured = os.environ.get("DUKA_ANSIBLE_BASE_IMAGE")
    if configured:
        return configured
    cli = ROOT / "deploy" / "image" / "build.py"
    done = subprocess.run(
        [sys.executable, str(cli), "base"], stdout=subprocess.PIPE, text=True, timeout=1800
    )
    if done.returncode != 0:
        raise TestHostError(f"{cli} base exited {done.returncode}")
    return done.stdout.strip().splitlines()[-1]


def build_image() -> str:
    """Build (or reuse, through podman's layer cache) the test host's image."""
    podman(
        "build",
        *ULIMITS,
        "--build-arg",
        f"BASE_IMAGE={base_image()}",
        "--tag",
        IMAGE,
        "--file",
        str(RECIPE / "Containerfile"),
        str(RECIPE),
        timeout_s=1800,
    )
    return IMAGE


@dataclass
class TestHost:
    """One running host: `ssh_port`, `http_port`, `https_port` are published on 127.0.0.1."""

    name: str
    key: Path
    ssh_port: int
    http_port: int
    https_port: int

    @classmethod
    @contextmanager
    def running(cls, image: str, workdir: Path) -> Iterator[TestHost]:
        key = workdir / "id_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "duka-e2e", "-f", str(key)],
            check=True,
        )
        host = cls(f"duka-ansible-testhost-{os.getpid()}", key, *(free_port() for _ in range(3)))
        podman(
            "run",
            "--detach",
            "--name",
            host.name,
            "--hostname",
            "duka-testhost",
            "--systemd=always",
            *ULIMITS,
            *HOST_CAPS,
            "--publish",
            f"127.0.0.1:{host.ssh_port}:22",
            "--publish",
            f"127.0.0.1:{host.http_port}:80",
            "--publish",
            f"127.0.0.1:{host.https_port}:443",
            image,
        )
        try:
            host.wait_booted()
            host.authorize(key.with_suffix(".pub").read_text())
            yield host
        finally:
            podman("rm", "--force", "--time", "10", host.name, check=False)

    def exec(self, *argv: str, check: bool = True, stdin: str | None = None) -> str:
        args = ["exec", "--interactive"] if stdin is not None else ["exec"]
        done = subprocess.run(
            [*PODMAN, *args, self.name, *argv],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and done.returncode != 0:
            raise TestHostError(
                f"{' '.join(argv)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def wait_booted(self, timeout_s: float = 120) -> None:
        """Until systemd finished booting ("degraded" counts: some unit of the minimal
        image may fail in a container; the tests check the ones that matter)."""
        deadline = time.monotonic() + timeout_s
        state = ""
        while time.monotonic() < deadline:
            state = self.exec("systemctl", "is-system-running", check=False).strip()
            if state in ("running", "degraded"):
                return
            time.sleep(1)
        raise TestHostError(f"systemd did not finish booting: {state!r}\n{self.journal()}")

    def authorize(self, public_key: str) -> None:
        self.exec(
            "sh",
            "-c",
            "cat > /home/deploy/.ssh/authorized_keys && chown deploy:deploy "
            "/home/deploy/.ssh/authorized_keys && chmod 0600 /home/deploy/.ssh/authorized_keys",
            stdin=public_key,
        )

    def ssh_argv(self) -> list[str]:
        return [
            "ssh",
            "-i",
            str(self.key),
            "-p",
            str(self.ssh_port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "BatchMode=yes",
        ]

    @contextmanager
    def tunnel(self, ports: Sequence[int]) -> Iterator[None]:
        """Each of this machine's loopback `ports` answered on the host's loopback too."""
        forwards = [a for p in ports for a in ("-R", f"127.0.0.1:{p}:127.0.0.1:{p}")]
        argv = [
            *self.ssh_argv(),
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "ServerAliveInterval=10",
            *forwards,
            "deploy@127.0.0.1",
        ]
        process = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        try:
            self._wait_forwarded(process, ports)
            yield
        finally:
            process.terminate()
            process.wait(timeout=10)

    def _wait_forwarded(self, process: subprocess.Popen[str], ports: Sequence[int]) -> None:
        probe = "; ".join(f"exec 3<>/dev/tcp/127.0.0.1/{p} && exec 3>&-" for p in ports)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                assert process.stderr is not None
                raise TestHostError(f"ssh tunnel exited: {process.stderr.read()}")
            if self._probe_ok(probe):
                return
            time.sleep(0.5)
        raise TestHostError(f"ports {list(ports)} never answered inside the host")

    def _probe_ok(self, probe: str) -> bool:
        done = subprocess.run(
            [*PODMAN, "exec", self.name, "bash", "-c", probe], capture_output=True, check=False
        )
        return done.returncode == 0

    def unit_state(self, unit: str) -> str:
        return self.exec("systemctl", "is-active", unit, check=False).strip()

    def journal(self, unit: str | None = None, lines: int = 80) -> str:
        argv = ["journalctl", "--no-pager", "--priority", "warning", "-n", str(lines)]
        if unit:
            argv += ["-u", unit]
        return self.exec(*argv, check=False)


def podman_available() -> str | None:
    """Why the test host cannot run here, or None."""
    if shutil.which("podman") is None:
        return "podman is not installed"
    if os.geteuid() != 0:
        return "the test host needs rootful podman (run as root)"
    return None
