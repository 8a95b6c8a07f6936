"""The CRDs' schemas and CEL rules, enforced by the real kube-apiserver (no operator)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.kube_apiserver import KubeApiServer

API = "/apis/duka.dev/v1alpha1/namespaces"


def create(kube: KubeApiServer, ns: str, plural: str, kind: str, name: str, spec: Any) -> Any:
    body = {
        "apiVersion": "duka.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": spec,
    }
    return kube.http.post(f"{API}/{ns}/{plural}", json=body)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"realm": "duka", "clientId": "x", "publicClient": True, "serviceAccount": True},
            "a public client cannot have a service account",
        ),
        (
            {"realm": "duka", "clientId": "x", "serviceAccountRoles": ["r"]},
            "serviceAccountRoles needs serviceAccount true",
        ),
        ({"realm": "duka", "clientId": "x", "deletionPolicy": "Orphan"}, "Unsupported value"),
        ({"realm": "duka"}, "spec.clientId: Required value"),
    ],
)
def test_invalid_keycloak_clients_are_rejected(
    crds: KubeApiServer, namespace: str, spec: dict[str, Any], message: str
) -> None:
    answer = create(crds, namespace, "keycloakclients", "KeycloakClient", "bad", spec)
    assert answer.status_code == 422
    assert message in answer.json()["message"]


def test_defaults_are_applied_and_client_id_is_immutable(
    crds: KubeApiServer, namespace: str
) -> None:
    answer = create(
        crds,
        namespace,
        "keycloakclients",
        "KeycloakClient",
        "ok",
        {"realm": "duka", "clientId": "a"},
    )
    assert answer.status_code == 201
    spec = answer.json()["spec"]
    assert spec["deletionPolicy"] == "Delete"
    assert spec["publicClient"] is False
    patched = crds.http.patch(
        f"{API}/{namespace}/keycloakclients/ok",
        json={"spec": {"clientId": "b"}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 422
    assert "immutable" in patched.json()["message"]


def test_database_config_pool_and_secret_rules(crds: KubeApiServer, namespace: str) -> None:
    base = {
        "host": "db",
        "database": "duka",
        "user": "duka_app",
        "passwordSecretRef": {"name": "pw"},
        "secretName": "duka-db",
    }
    bad_pool = create(
        crds,
        namespace,
        "databaseconfigs",
        "DatabaseConfig",
        "a",
        {**base, "pool": {"minSize": 5, "maxSize": 2}},
    )
    assert bad_pool.status_code == 422
    assert "pool.minSize must not exceed pool.maxSize" in bad_pool.json()["message"]
    same_secret = create(
        crds, namespace, "databaseconfigs", "DatabaseConfig", "b", {**base, "secretName": "pw"}
    )
    assert same_secret.status_code == 422
    good = create(crds, namespace, "databaseconfigs", "DatabaseConfig", "c", base)
    assert good.status_code == 201
    assert good.json()["spec"]["port"] == 5432
    # No default: absent means the operator's verify-full, and only an explicit (weaker)
    # value counts as a downgrade it reports.
    assert "sslmode" not in good.json()["spec"]
