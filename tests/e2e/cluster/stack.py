"""Duka installed on the local test cluster: the devstack release (PostgreSQL, Keycloak, the
Prefect server) and the duka release, installed by deploy/cd/deploy.sh exactly as CD does,
and what tests need to talk to it (tokens, the API through its Service, the sandboxes)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devtools.keycloak_api import DEMO_USERS
from tests.support.kube_cluster import KubeCluster

ROOT = Path(__file__).resolve().parents[3]
NAMESPACE = "duka-e2e"
RELEASE = "duka"
DEVSTACK = "devstack"
VALUES = Path(__file__).with_name("values.yaml")
DEPLOY_SCRIPT = ROOT / "deploy" / "cd" / "deploy.sh"
REALM = ROOT / "deploy" / "keycloak" / "duka-realm.json"
ISSUER = "http://keycloak:8080/realms/duka"
SANDBOX_PORT = 8025


@dataclass(frozen=True)
class Images:
    duka: str
    keycloak: str
    postgres: str
    prefect: str
    sandbox: str

    @property
    def duka_repository(self) -> str:
        return self.duka.rsplit(":", 1)[0]

    @property
    def duka_tag(self) -> str:
        return self.duka.rsplit(":", 1)[1]


def wait_for(check: Callable[[], Any], what: str, timeout_s: float, every_s: float = 1.0) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every_s)
    raise AssertionError(f"not within {timeout_s:.0f}s: {what} (last: {last!r})")


class Stack:
    def __init__(self, cluster: KubeCluster, images: Images) -> None:
        self.cluster = cluster
        self.images = images

    # -- installing ---------------------------------------------------------------------------

    def install_devstack(self) -> None:
        kc, pg = self.images.keycloak, self.images.postgres
        self.cluster.helm(
            "upgrade", "--install", DEVSTACK, str(ROOT / "deploy" / "helm" / "duka-devstack"),
            "--namespace", NAMESPACE, "--create-namespace",
            "--set-file", f"keycloak.realmJson={REALM}",
            "--set-string", f"keycloak.image={kc}",
            "--set-string", f"postgres.image={pg}",
            "--set", f"postgres.uid={self.image_uid(pg)}",
            "--set", f"keycloak.uid={self.image_uid(kc)}",
            "--set-string", f"prefect.image={self.images.prefect}",
            "--wait", "--timeout", "15m",
            timeout_s=960,
        )  # fmt: skip

    def image_uid(self, ref: str) -> int:
        """The numeric user an image runs as (runAsNonRoot needs a number)."""
        done = subprocess.run(
            ["podman", "image", "inspect", "--format", "{{.Config.User}}", ref],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        user = done.stdout.strip().split(":")[0]
        if not user.isdigit() or user == "0":
            raise AssertionError(f"{ref} must run as a numeric non-root USER, not {user!r}")
        return int(user)

    def deploy(
        self, *helm_args: str, tag: str | None = None, timeout: str = "10m"
    ) -> subprocess.CompletedProcess[str]:
        """deploy/cd/deploy.sh, as CD runs it, against this cluster (not raising on failure)."""
        env = {
            **self.cluster.env(),
            "RELEASE": RELEASE,
            "NAMESPACE": NAMESPACE,
            "IMAGE": self.images.duka_repository,
            "VERSION": tag or self.images.duka_tag,
            "VALUES": str(VALUES),
            "CHART": str(ROOT / "deploy" / "helm" / "duka"),
            "TIMEOUT": timeout,
        }
        env.pop("GITHUB_ACTIONS", None)
        return subprocess.run(
            ["bash", str(DEPLOY_SCRIPT), *helm_args],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=1500, check=False,
        )  # fmt: skip

    # -- looking at it ------------------------------------------------------------------------

    def kubectl(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return self.cluster.kubectl("-n", NAMESPACE, *args, **kw)

    def get(self, *args: str) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.kubectl("get", *args, "-o", "json").stdout)
        return found

    def service_url(self, name: str, port: int | None = None) -> str:
        """http://<ClusterIP>:<port>: the node reaches Services through kube-proxy's rules."""
        spec = self.get("service", name)["spec"]
        return f"http://{spec['clusterIP']}:{port or spec['ports'][0]['port']}"

    def token(self, username: str = "clerk") -> str:
        return str(wait_for(lambda: self._token(username), "a token", timeout_s=120, every_s=2))

    def _token(self, username: str) -> str | None:
        user = DEMO_USERS[username]
        try:
            answer = httpx.post(
                f"{self.service_url('keycloak')}/realms/duka/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "duka-cli",
                    "username": user.username,
                    "password": user.password,
                },
                timeout=30,
            )
        except httpx.TransportError:
            return None  # Keycloak restarting or not Ready (no endpoint: refused)
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def api(self, username: str = "clerk", **kw: Any) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.service_url(f'{RELEASE}-api')}/api/v1",
            headers={"Authorization": f"Bearer {self.token(username)}"},
            timeout=30,
            **kw,
        )

    def pods(self, component: str) -> list[str]:
        """Running, not terminating pods of one of the release's components."""
        return self.pods_of(f"app.kubernetes.io/component={component}")

    def pods_of(self, selector: str) -> list[str]:
        if "=" not in selector:
            selector = f"app={selector}"
        found = self.get("pods", "-l", selector)
        return [
            p["metadata"]["name"]
            for p in found["items"]
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        ]

    def sandbox_messages_of(self, pod: str) -> list[dict[str, Any]]:
        """The messages one flow-runner pod's AT sandbox sidecar accepted (newest 1000)."""
        script = (
            "import urllib.request, sys; sys.stdout.write(urllib.request.urlopen("
            f"'http://127.0.0.1:{SANDBOX_PORT}/_sandbox/inbox?limit=1000', timeout=10)"
            ".read().decode())"
        )
        done = self.kubectl("exec", pod, "-c", "at-sandbox", "--", "python", "-c", script)
        messages: list[dict[str, Any]] = json.loads(done.stdout)["messages"]
        return messages

    def sandbox_messages(self) -> list[dict[str, Any]]:
        """Every message accepted by the AT sandbox sidecar of each flow-runner pod."""
        return [m for pod in self.pods("flows") for m in self.sandbox_messages_of(pod)]

    def psql(self, sql: str) -> str:
        # Over TCP with the devstack's public password: no reliance on the image's peer auth.
        done = self.kubectl(
            "exec", "deploy/postgres", "--", "env", "PGPASSWORD=duka-dev-password",
            "psql", "-h", "127.0.0.1", "-U", "duka", "-d", "duka", "-qAt", "-c", sql,
        )  # fmt: skip
        return done.stdout.strip()

    def dump_on_failure(self) -> str:
        lines = [self.kubectl("get", "all,jobs,pdb", "-o", "wide", check=False).stdout]
        lines.append(self.kubectl("get", "events", "--sort-by=.lastTimestamp", check=False).stdout)
        return "\n".join(lines)[-8000:]


def new_customer(api: httpx.Client, phone: str) -> str:
    answer = api.post("/customers", json={"name": f"E2E {phone}", "phone": phone})
    assert answer.status_code == 201, answer.text
    customer_id: str = answer.json()["id"]
    return customer_id


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
