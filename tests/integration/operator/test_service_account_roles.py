"""serviceAccountRoles end to end: the operator grants a client's own roles to that
client's service account, on creation and when the spec adds one, and the granted roles
reach the client-credentials tokens (the operator's realm-management roles must allow it:
deploy/keycloak/duka-realm.json, docs/operator.md)."""

from __future__ import annotations

import uuid
from typing import Any

from kopf.testing import KopfRunner

from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import AdminApi, client_credentials_grant
from tests.integration.operator.conftest import API, wait_for
from tests.integration.operator.keycloak_client_support import (
    apply_client,
    find_client,
    get_resource,
    patch_spec,
    secret_data,
)
from tests.support.keycloak import claims_of
from tests.support.kube_apiserver import KubeApiServer


def granted_roles(admin: AdminApi, internal_id: str) -> list[str]:
    """The client's roles mapped to its service-account user, as Keycloak reports them."""
    user = admin.get(f"/duka/clients/{internal_id}/service-account-user")
    mapped = admin.get(f"/duka/users/{user['id']}/role-mappings/clients/{internal_id}")
    return sorted(r["name"] for r in mapped)


def token_roles(issuer: str, client_id: str, secret: str) -> list[str]:
    """The client roles in a fresh client-credentials token (Keycloak's built-in `roles`
    scope puts them in resource_access.<clientId>.roles)."""
    claims = claims_of(client_credentials_grant(issuer, client_id, secret)["access_token"])
    return sorted(claims.get("resource_access", {}).get(client_id, {}).get("roles", []))


def reconciled(kube: KubeApiServer, ns: str, name: str, generation: int) -> dict[str, Any]:
    """The resource once the operator has handled `generation`: Ready, or the test fails
    with the status the operator reported (a 403 from Keycloak shows up as Degraded)."""
    last: dict[str, Any] = {}

    def check() -> dict[str, Any] | None:
        nonlocal last
        body = get_resource(kube, ns, name) or {}
        last = body.get("status", {})
        if last.get("phase") == "Ready" and last.get("observedGeneration") == generation:
            return body
        return None

    try:
        body: dict[str, Any] = wait_for(check, f"generation {generation} to be Ready")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last status: {last}") from None
    return body


def test_service_account_roles_are_granted_and_reach_the_token(
    operator: KopfRunner,
    crds: KubeApiServer,
    namespace: str,
    keycloak: KeycloakServer,
    keycloak_admin: AdminApi,
) -> None:
    client_id = f"op-grant-{uuid.uuid4().hex[:8]}"
    apply_client(
        crds,
        namespace,
        "worker",
        {
            "realm": "duka",
            "clientId": client_id,
            "standardFlow": False,
            "serviceAccount": True,
            "roles": ["reader", "auditor"],
            "serviceAccountRoles": ["reader"],
            "credentialsSecret": "worker-credentials",
        },
    )
    reconciled(crds, namespace, "worker", generation=1)
    client = find_client(keycloak_admin, client_id)
    assert client is not None
    # Only the listed role is granted: `auditor` exists but stays unmapped.
    assert granted_roles(keycloak_admin, client["id"]) == ["reader"]
    data = secret_data(crds, namespace, "worker-credentials")
    assert data is not None
    assert token_roles(keycloak.issuer(), client_id, data["client-secret"]) == ["reader"]

    # Update: a new role, created and granted in the same change.
    patch_spec(
        crds,
        namespace,
        "worker",
        {"roles": ["reader", "auditor", "writer"], "serviceAccountRoles": ["reader", "writer"]},
    )
    reconciled(crds, namespace, "worker", generation=2)
    assert granted_roles(keycloak_admin, client["id"]) == ["reader", "writer"]
    assert token_roles(keycloak.issuer(), client_id, data["client-secret"]) == ["reader", "writer"]

    crds.http.delete(f"{API}/{namespace}/keycloakclients/worker").raise_for_status()
    wait_for(lambda: get_resource(crds, namespace, "worker") is None, "the finalizer's release")
    assert find_client(keycloak_admin, client_id) is None
