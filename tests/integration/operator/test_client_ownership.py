"""A KeycloakClient never takes over a client it did not create (issue 11, High 1): the
operator against the real Keycloak and kube-apiserver."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kopf.testing import KopfRunner

from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import OPERATOR_CLIENT, AdminApi
from tests.integration.operator.conftest import ADOPTABLE_CLIENT, API, wait_for
from tests.integration.operator.keycloak_client_support import (
    apply_client,
    degraded_reason,
    find_client,
    get_resource,
    in_phase,
    is_ready,
    secret_data,
)
from tests.support.kube_apiserver import KubeApiServer

ADOPT = {"duka.dev/adopt-existing-client": "true"}


def client_state(admin: AdminApi, client_id: str) -> tuple[dict[str, object], str]:
    """The client's representation and its current secret, to compare before and after."""
    client = find_client(admin, client_id)
    assert client is not None
    secret = admin.get(f"/duka/clients/{client['id']}/client-secret").get("value")
    return client, str(secret)


@pytest.mark.parametrize(
    ("client_id", "reason"),
    [
        # duka-api exists in the realm (the API's audience); the operator did not create it.
        ("duka-api", "ClientOwnedElsewhere"),
        # The operator's own client and a built-in one: on the deny-list.
        (OPERATOR_CLIENT, "ClientProtected"),
        ("broker", "ClientProtected"),
    ],
)
def test_an_existing_client_is_not_taken_over(
    operator: KopfRunner,
    crds: KubeApiServer,
    namespace: str,
    keycloak_admin: AdminApi,
    client_id: str,
    reason: str,
) -> None:
    before = client_state(keycloak_admin, client_id)
    apply_client(
        crds,
        namespace,
        "takeover",
        {
            "realm": "duka",
            "clientId": client_id,
            "serviceAccount": True,
            "redirectUris": ["https://evil.example.com/*"],
            "credentialsSecret": "stolen",
            "deletionPolicy": "Delete",
        },
    )
    body = wait_for(lambda: in_phase(crds, namespace, "takeover", "Failed"), "Failed")
    assert degraded_reason(body)[0] == reason
    assert client_state(keycloak_admin, client_id) == before
    assert secret_data(crds, namespace, "stolen") is None

    # Deleting the resource (deletionPolicy Delete) leaves the client alone.
    crds.http.delete(f"{API}/{namespace}/keycloakclients/takeover").raise_for_status()
    wait_for(lambda: get_resource(crds, namespace, "takeover") is None, "the finalizer's release")
    assert client_state(keycloak_admin, client_id) == before


@pytest.fixture
def legacy_client(keycloak_admin: AdminApi) -> Iterator[str]:
    """A confidential client created by hand, which the operator's settings allow to adopt."""
    keycloak_admin.post(
        "/duka/clients",
        {"clientId": ADOPTABLE_CLIENT, "publicClient": False, "serviceAccountsEnabled": True},
    ).raise_for_status()
    yield ADOPTABLE_CLIENT
    client = find_client(keycloak_admin, ADOPTABLE_CLIENT)
    if client is not None:
        keycloak_admin.delete(f"/duka/clients/{client['id']}")


def test_adoption_needs_the_annotation_and_the_allow_list(
    operator: KopfRunner,
    crds: KubeApiServer,
    namespace: str,
    keycloak: KeycloakServer,
    keycloak_admin: AdminApi,
    legacy_client: str,
) -> None:
    spec = {"realm": "duka", "clientId": legacy_client, "serviceAccount": True}
    # On the allow-list, but the resource does not ask: refused.
    apply_client(crds, namespace, "unasked", spec)
    body = wait_for(lambda: in_phase(crds, namespace, "unasked", "Failed"), "Failed")
    reason, message = degraded_reason(body)
    assert reason == "ClientOwnedElsewhere"
    assert "duka.dev/adopt-existing-client=true" in message

    # Asked for on the resource and allowed by the settings: adopted, and marked as its own.
    apply_client(crds, namespace, "adopter", spec, ADOPT)
    body = wait_for(lambda: is_ready(crds, namespace, "adopter"), "the adoption")
    client = find_client(keycloak_admin, legacy_client)
    assert client is not None
    owner = f"{namespace}/adopter/{body['metadata']['uid']}"
    assert client["attributes"]["duka.dev/owner"] == owner
    assert client["attributes"]["duka.dev/managed-by"] == "duka-operator"
    assert secret_data(crds, namespace, "adopter") is not None


def test_a_client_id_that_is_not_on_the_allow_list_cannot_be_adopted(
    operator: KopfRunner, crds: KubeApiServer, namespace: str, keycloak_admin: AdminApi
) -> None:
    client_id = f"op-other-{uuid.uuid4().hex[:8]}"
    keycloak_admin.post("/duka/clients", {"clientId": client_id}).raise_for_status()
    apply_client(crds, namespace, "x", {"realm": "duka", "clientId": client_id}, ADOPT)
    body = wait_for(lambda: in_phase(crds, namespace, "x", "Failed"), "Failed")
    reason, message = degraded_reason(body)
    assert reason == "ClientOwnedElsewhere"
    assert "do not allow adopting" in message
    client = find_client(keycloak_admin, client_id)
    assert client is not None
    assert "duka.dev/owner" not in (client.get("attributes") or {})
    keycloak_admin.delete(f"/duka/clients/{client['id']}")
