"""A deletion Keycloak refuses (403) turns the resource Failed with the reason, keeping the
finalizer, instead of a Degraded retry loop (issue 11, Low)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kopf.testing import KopfRunner

from devtools.keycloak_api import OPERATOR_CLIENT, AdminApi
from tests.integration.operator.conftest import API, wait_for
from tests.integration.operator.keycloak_client_support import (
    apply_client,
    degraded_reason,
    find_client,
    get_resource,
    in_phase,
    is_ready,
)
from tests.support.kube_apiserver import KubeApiServer


class ManageClientsGrant:
    """Takes the operator's realm-management `manage-clients` role away, and gives it back."""

    def __init__(self, admin: AdminApi) -> None:
        self.admin = admin
        operator = find_client(admin, OPERATOR_CLIENT)
        management = find_client(admin, "realm-management")
        assert operator is not None
        assert management is not None
        user = admin.get(f"/duka/clients/{operator['id']}/service-account-user")
        self.path = f"/duka/users/{user['id']}/role-mappings/clients/{management['id']}"
        self.role: list[dict[str, Any]] = [
            admin.get(f"/duka/clients/{management['id']}/roles/manage-clients")
        ]

    def revoke(self) -> None:
        self.admin.request("DELETE", self.path, self.role)

    def restore(self) -> None:
        self.admin.post(self.path, self.role).raise_for_status()


@pytest.fixture
def grant(keycloak_admin: AdminApi) -> Iterator[ManageClientsGrant]:
    grant = ManageClientsGrant(keycloak_admin)
    yield grant
    grant.restore()  # idempotent: a role mapped twice stays mapped once


def test_a_refused_deletion_fails_the_resource_and_keeps_it(
    operator: KopfRunner,
    crds: KubeApiServer,
    namespace: str,
    keycloak_admin: AdminApi,
    grant: ManageClientsGrant,
) -> None:
    client_id = f"op-del-{uuid.uuid4().hex[:8]}"
    apply_client(crds, namespace, "doomed", {"realm": "duka", "clientId": client_id})
    wait_for(lambda: is_ready(crds, namespace, "doomed"), "the client to be Ready")
    grant.revoke()
    crds.http.delete(f"{API}/{namespace}/keycloakclients/doomed").raise_for_status()
    body = wait_for(lambda: in_phase(crds, namespace, "doomed", "Failed"), "Failed")
    reason, message = degraded_reason(body)
    assert reason == "DeleteRefused"
    assert "403" in message
    assert "duka.dev/finalizer" in body["metadata"]["finalizers"]
    assert find_client(keycloak_admin, client_id) is not None

    # Grants restored: the next (slow) attempt deletes the client and releases the resource.
    grant.restore()
    wait_for(lambda: get_resource(crds, namespace, "doomed") is None, "the finalizer's release")
    assert find_client(keycloak_admin, client_id) is None
