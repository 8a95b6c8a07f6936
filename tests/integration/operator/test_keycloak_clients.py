"""KeycloakClient end to end: the operator (in-process) against the real kube-apiserver and
the real Keycloak."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from kopf.testing import KopfRunner
from prometheus_client import REGISTRY

from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import AdminApi, client_credentials_grant
from tests.integration.operator.conftest import API, wait_for
from tests.integration.operator.keycloak_client_support import (
    apply_client,
    find_client,
    get_resource,
    in_phase,
    is_ready,
    secret_data,
)
from tests.support.kube_apiserver import KubeApiServer


def test_client_is_created_restored_rotated_and_deleted(
    operator: KopfRunner,
    crds: KubeApiServer,
    namespace: str,
    keycloak: KeycloakServer,
    keycloak_admin: AdminApi,
) -> None:
    client_id = f"op-test-{uuid.uuid4().hex[:8]}"
    apply_client(
        crds,
        namespace,
        "shop",
        {
            "realm": "duka",
            "clientId": client_id,
            "serviceAccount": True,
            "redirectUris": ["https://shop.example.com/cb"],
            "roles": ["reader"],
            "credentialsSecret": "shop-credentials",
        },
    )
    body = wait_for(lambda: is_ready(crds, namespace, "shop"), "the client to be Ready")
    status = body["status"]
    assert status["credentialsSecret"] == "shop-credentials"
    assert status["issuer"] == keycloak.issuer()
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    assert "duka.dev/finalizer" in body["metadata"]["finalizers"]

    client = find_client(keycloak_admin, client_id)
    assert client is not None
    assert client["id"] == status["keycloakId"]
    assert client["serviceAccountsEnabled"] is True
    roles = keycloak_admin.get(f"/duka/clients/{client['id']}/roles")
    assert [r["name"] for r in roles] == ["reader"]

    secret = crds.http.get(f"/api/v1/namespaces/{namespace}/secrets/shop-credentials").json()
    assert secret["metadata"]["ownerReferences"][0]["uid"] == body["metadata"]["uid"]
    data = secret_data(crds, namespace, "shop-credentials")
    assert data is not None
    # The written credentials really work against Keycloak.
    token = client_credentials_grant(keycloak.issuer(), client_id, data["client-secret"])
    assert token["access_token"]

    # Drift: someone edits the client in Keycloak; the timer restores it, and counts it.
    drift_metric = ("duka_operator_drift_corrections_total", {"kind": "KeycloakClient"})
    corrected = REGISTRY.get_sample_value(*drift_metric) or 0.0
    keycloak_admin.put(
        f"/duka/clients/{client['id']}",
        {**client, "redirectUris": ["https://evil.example.com/*"], "serviceAccountsEnabled": False},
    )
    wait_for(
        lambda: (
            (c := find_client(keycloak_admin, client_id))
            and c["redirectUris"] == ["https://shop.example.com/cb"]
            and c["serviceAccountsEnabled"]
        ),
        "the drift timer to restore the client",
    )
    wait_for(
        lambda: (REGISTRY.get_sample_value(*drift_metric) or 0.0) >= corrected + 2,
        "the two restored fields in the drift metric",
    )

    crds.http.delete(f"{API}/{namespace}/keycloakclients/shop").raise_for_status()
    wait_for(lambda: get_resource(crds, namespace, "shop") is None, "the finalizer's release")
    assert find_client(keycloak_admin, client_id) is None


def test_retain_policy_keeps_the_keycloak_client(
    operator: KopfRunner, crds: KubeApiServer, namespace: str, keycloak_admin: AdminApi
) -> None:
    client_id = f"op-keep-{uuid.uuid4().hex[:8]}"
    apply_client(
        crds,
        namespace,
        "web",
        {"realm": "duka", "clientId": client_id, "publicClient": True, "deletionPolicy": "Retain"},
    )
    body = wait_for(lambda: is_ready(crds, namespace, "web"), "the public client to be Ready")
    assert body["status"].get("credentialsSecret") is None
    client = find_client(keycloak_admin, client_id)
    assert client is not None
    assert client["publicClient"] is True
    crds.http.delete(f"{API}/{namespace}/keycloakclients/web").raise_for_status()
    wait_for(lambda: get_resource(crds, namespace, "web") is None, "the finalizer's release")
    assert find_client(keycloak_admin, client_id) is not None
    keycloak_admin.delete(f"/duka/clients/{client['id']}")


def test_spec_the_operator_rejects_fails_with_a_message(
    operator: KopfRunner, crds: KubeApiServer, namespace: str
) -> None:
    apply_client(crds, namespace, "other", {"realm": "master", "clientId": "x"})
    body = wait_for(
        lambda: (
            (b := get_resource(crds, namespace, "other"))
            and b.get("status", {}).get("phase") == "Failed"
            and b
        ),
        "the Failed phase",
    )
    degraded = {c["type"]: c for c in body["status"]["conditions"]}["Degraded"]
    assert degraded["status"] == "True"
    assert degraded["reason"] == "InvalidSpec"
    assert "manages realm 'duka' only" in degraded["message"]


def consumer(name: str, secret: str) -> dict[str, Any]:
    """A Deployment reading the credentials Secret (by env, not by label)."""
    labels = {"app": name}
    env = [
        {"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": secret, "key": "client-secret"}}}
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "duka:test", "env": env}]},
            },
        },
    }


def finish_rollout(kube: KubeApiServer, ns: str, name: str) -> None:
    """What the Deployment controller reports once every pod runs the latest template (the
    test cluster runs no controller-manager, so the test plays that part)."""
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/{name}"
    generation = kube.http.get(path).json()["metadata"]["generation"]
    status = {"observedGeneration": generation, "replicas": 1, "updatedReplicas": 1}
    status |= {"readyReplicas": 1, "availableReplicas": 1}
    kube.http.patch(
        f"{path}/status",
        json={"status": status},
        headers={"Content-Type": "application/merge-patch+json"},
    ).raise_for_status()


def works(issuer: str, client_id: str, secret: str) -> bool:
    try:
        client_credentials_grant(issuer, client_id, secret)
    except httpx.HTTPStatusError:
        return False
    return True


def test_rotation_keeps_the_old_secret_until_consumers_rolled_out(
    operator: KopfRunner,
    crds: KubeApiServer,
    namespace: str,
    keycloak: KeycloakServer,
    keycloak_admin: AdminApi,
) -> None:
    client_id = f"op-rot-{uuid.uuid4().hex[:8]}"
    spec = {"realm": "duka", "clientId": client_id, "serviceAccount": True, "standardFlow": False}
    apply_client(crds, namespace, "rot", {**spec, "credentialsSecret": "rot-credentials"})
    wait_for(lambda: is_ready(crds, namespace, "rot"), "the client to be Ready")
    old = secret_data(crds, namespace, "rot-credentials")
    assert old is not None
    crds.http.post(
        f"/apis/apps/v1/namespaces/{namespace}/deployments", json=consumer("web", "rot-credentials")
    ).raise_for_status()
    # A drift check passes before the rotation is asked for: it records nothing.
    time.sleep(3)

    crds.http.patch(
        f"{API}/{namespace}/keycloakclients/rot",
        json={"metadata": {"annotations": {"duka.dev/rotate-credentials": "1"}}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).raise_for_status()
    new = wait_for(
        lambda: (
            (d := secret_data(crds, namespace, "rot-credentials"))
            and d["client-secret"] != old["client-secret"]
            and d
        ),
        "a rotated secret",
    )
    body = wait_for(lambda: in_phase(crds, namespace, "rot", "Progressing"), "the rollout phase")
    # Rolling out: both secrets work, the consumer was restarted, nothing is recorded yet.
    assert works(keycloak.issuer(), client_id, new["client-secret"])
    assert works(keycloak.issuer(), client_id, old["client-secret"])
    assert body["status"]["rotation"]["deployments"] == ["web"]
    assert "rotatedFor" not in body["status"]
    template = crds.http.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/web").json()
    assert template["spec"]["template"]["metadata"]["annotations"][
        "duka.dev/keycloak-client-checksum"
    ]
    time.sleep(4)  # drift checks and retries meanwhile still record nothing
    body = get_resource(crds, namespace, "rot")
    assert body is not None
    assert "rotatedFor" not in body["status"]
    assert works(keycloak.issuer(), client_id, old["client-secret"])

    # The rollout completes: the old secret is revoked, and only now is the rotation recorded.
    finish_rollout(crds, namespace, "web")
    body = wait_for(
        lambda: (
            (b := get_resource(crds, namespace, "rot"))
            and b["status"].get("rotatedFor") == "1"
            and b
        ),
        "the recorded rotation",
    )
    assert body["status"]["phase"] == "Ready"
    assert not body["status"].get("rotation")
    assert not works(keycloak.issuer(), client_id, old["client-secret"])
    assert works(keycloak.issuer(), client_id, new["client-secret"])
    crds.http.delete(f"{API}/{namespace}/keycloakclients/rot").raise_for_status()
    wait_for(lambda: get_resource(crds, namespace, "rot") is None, "the finalizer's release")
