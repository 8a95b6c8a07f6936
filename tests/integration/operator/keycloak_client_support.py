"""Helpers for the KeycloakClient tests: apply and read the resources on the real
kube-apiserver, and look at what the operator made of them in Keycloak and in Secrets."""

from __future__ import annotations

import base64
from typing import Any

from devtools.keycloak_api import AdminApi
from tests.integration.operator.conftest import API
from tests.support.kube_apiserver import KubeApiServer

KINDS = {"keycloakclients": "KeycloakClient", "databaseconfigs": "DatabaseConfig"}


def apply_resource(
    kube: KubeApiServer,
    ns: str,
    plural: str,
    name: str,
    spec: dict[str, Any],
    annotations: dict[str, str] | None = None,
) -> None:
    metadata: dict[str, Any] = {"name": name, "annotations": annotations or {}}
    body = {"apiVersion": "duka.dev/v1alpha1", "kind": KINDS[plural], "metadata": metadata}
    kube.http.post(f"{API}/{ns}/{plural}", json={**body, "spec": spec}).raise_for_status()


def apply_client(
    kube: KubeApiServer,
    ns: str,
    name: str,
    spec: dict[str, Any],
    annotations: dict[str, str] | None = None,
) -> None:
    apply_resource(kube, ns, "keycloakclients", name, spec, annotations)


def patch_spec(kube: KubeApiServer, ns: str, name: str, changes: dict[str, Any]) -> None:
    kube.http.patch(
        f"{API}/{ns}/keycloakclients/{name}",
        json={"spec": changes},
        headers={"Content-Type": "application/merge-patch+json"},
    ).raise_for_status()


def get_resource(kube: KubeApiServer, ns: str, name: str) -> dict[str, Any] | None:
    answer = kube.http.get(f"{API}/{ns}/keycloakclients/{name}")
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


def is_ready(kube: KubeApiServer, ns: str, name: str) -> dict[str, Any] | None:
    body = get_resource(kube, ns, name)
    if body and body.get("status", {}).get("phase") == "Ready":
        return body
    return None


def find_client(admin: AdminApi, client_id: str) -> dict[str, Any] | None:
    found = admin.get(f"/duka/clients?clientId={client_id}")
    return found[0] if found else None


def secret_data(kube: KubeApiServer, ns: str, name: str) -> dict[str, str] | None:
    answer = kube.http.get(f"/api/v1/namespaces/{ns}/secrets/{name}")
    if answer.status_code == 404:
        return None
    return {k: base64.b64decode(v).decode() for k, v in answer.json()["data"].items()}


def in_phase(
    kube: KubeApiServer, ns: str, name: str, phase: str, plural: str = "keycloakclients"
) -> dict[str, Any] | None:
    """The resource once its status shows `phase`, else None."""
    answer = kube.http.get(f"{API}/{ns}/{plural}/{name}")
    if answer.status_code == 404:
        return None
    body: dict[str, Any] = answer.json()
    return body if body.get("status", {}).get("phase") == phase else None


def degraded_reason(body: dict[str, Any]) -> tuple[str, str]:
    """The reason and message of the Degraded condition."""
    condition = {c["type"]: c for c in body["status"]["conditions"]}["Degraded"]
    return str(condition["reason"]), str(condition["message"])


def create_secret(
    kube: KubeApiServer, ns: str, name: str, data: dict[str, str], labels: dict[str, str]
) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": labels},
        "stringData": data,
    }
    kube.http.post(f"/api/v1/namespaces/{ns}/secrets", json=body).raise_for_status()
