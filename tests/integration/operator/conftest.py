"""Fixtures for the operator's integration tests: the CRDs applied to the real kube-apiserver,
a namespace per test, and the operator running in-process (kopf.testing.KopfRunner) against
the session's real Keycloak."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kopf.testing import KopfRunner

from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import AdminApi
from duka_operator.settings import get_operator_settings
from tests.support.kube_apiserver import KubeApiServer

CRDS = Path(__file__).parents[3] / "deploy/helm/duka/crds"
# The realm file's operator client (deploy/keycloak/duka-realm.json): fake, for development.
OPERATOR_CLIENT = "duka-operator"
OPERATOR_SECRET = "dev-operator-secret-not-for-production"
API = "/apis/duka.dev/v1alpha1/namespaces"
# The one existing client the operator's settings let tests adopt (tests create it first).
ADOPTABLE_CLIENT = "op-legacy-adoptable"
# Hosts a DatabaseConfig may name in these tests: the test PostgreSQL's loopback address.
DATABASE_HOSTS = '["127.0.0.1", "localhost"]'
# Keycloak's client-secret rotation (a preview feature the test Keycloak enables, see
# devtools/keycloak.py), applied to the clients the operator marks as its own; the old
# secret stays valid for an hour after a rotation unless the operator revokes it sooner.
ROTATION_PROFILE = {
    "name": "duka-operator-secret-rotation",
    "description": "Rotated secrets stay valid for a grace period (duka operator)",
    "executors": [
        {
            "executor": "secret-rotation",
            "configuration": {
                "expiration-period": "31536000",
                "rotated-expiration-period": "3600",
                "remaining-rotation-period": "864000",
            },
        }
    ],
}
ROTATION_POLICY = {
    "name": "duka-operator-clients",
    "description": "Clients managed by the duka operator",
    "enabled": True,
    "conditions": [
        {
            "condition": "client-attributes",
            "configuration": {
                "is-negative-logic": False,
                "attributes": json.dumps(
                    [{"key": "duka.dev/managed-by", "value": "duka-operator"}]
                ),
            },
        }
    ],
    "profiles": [ROTATION_PROFILE["name"]],
}


def wait_for(check: Callable[[], Any], what: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def crds(kube_apiserver: KubeApiServer) -> KubeApiServer:
    kube_apiserver.kubectl("apply", "--server-side", "-f", str(CRDS))
    for crd in ("keycloakclients.duka.dev", "databaseconfigs.duka.dev"):
        kube_apiserver.kubectl("wait", "--for=condition=Established", f"crd/{crd}", "--timeout=60s")
    return kube_apiserver


@pytest.fixture
def namespace(crds: KubeApiServer) -> Iterator[str]:
    name = f"op-{uuid.uuid4().hex[:8]}"
    crds.http.post("/api/v1/namespaces", json={"metadata": {"name": name}}).raise_for_status()
    yield name
    crds.http.delete(f"/api/v1/namespaces/{name}")


@pytest.fixture(scope="session")
def rotation_policy(keycloak_admin: AdminApi) -> None:
    """The realm's client policy that gives the operator's clients rotation with a grace
    period (docs/operator.md shows the same for production realms)."""
    profiles = keycloak_admin.get("/duka/client-policies/profiles")["profiles"] or []
    if all(p["name"] != ROTATION_PROFILE["name"] for p in profiles):
        answer = keycloak_admin.put(
            "/duka/client-policies/profiles", {"profiles": [*profiles, ROTATION_PROFILE]}
        )
        answer.raise_for_status()
    policies = keycloak_admin.get("/duka/client-policies/policies")["policies"] or []
    if all(p["name"] != ROTATION_POLICY["name"] for p in policies):
        answer = keycloak_admin.put(
            "/duka/client-policies/policies", {"policies": [*policies, ROTATION_POLICY]}
        )
        answer.raise_for_status()


@pytest.fixture
def operator(
    crds: KubeApiServer,
    keycloak: KeycloakServer,
    rotation_policy: None,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[KopfRunner]:
    monkeypatch.setenv("KUBECONFIG", str(crds.kubeconfig))
    monkeypatch.setenv("DUKA_OPERATOR_KEYCLOAK_URL", keycloak.base_url)
    monkeypatch.setenv("DUKA_OPERATOR_KEYCLOAK_REALM", "duka")
    monkeypatch.setenv("DUKA_OPERATOR_KEYCLOAK_CLIENT_ID", OPERATOR_CLIENT)
    monkeypatch.setenv("DUKA_OPERATOR_KEYCLOAK_CLIENT_SECRET", OPERATOR_SECRET)
    monkeypatch.setenv("DUKA_OPERATOR_DRIFT_INTERVAL_S", "2")
    monkeypatch.setenv("DUKA_OPERATOR_RETRY_DELAY_S", "1")
    monkeypatch.setenv("DUKA_OPERATOR_DELETE_REFUSED_RETRY_S", "2")
    monkeypatch.setenv("DUKA_OPERATOR_ADOPTABLE_CLIENT_IDS", json.dumps([ADOPTABLE_CLIENT]))
    monkeypatch.setenv("DUKA_OPERATOR_DATABASE_HOSTS", DATABASE_HOSTS)
    get_operator_settings.cache_clear()
    args = ["run", "-m", "duka_operator", "--standalone", f"--namespace={namespace}"]
    with KopfRunner(args, timeout=60) as runner:
        yield runner
    get_operator_settings.cache_clear()
