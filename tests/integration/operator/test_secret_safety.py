"""The operator writes only its own Secrets, reads only Secrets that opt in, and connects
only to allowed hosts (issue 11, High 2): against the real kube-apiserver and PostgreSQL."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kopf.testing import KopfRunner

from tests.integration.operator.conftest import API, wait_for
from tests.integration.operator.keycloak_client_support import (
    apply_client,
    apply_resource,
    create_secret,
    degraded_reason,
    in_phase,
    secret_data,
)
from tests.support.kube_apiserver import KubeApiServer

READABLE = {"duka.dev/readable-by-operator": "true"}


def secret_body(kube: KubeApiServer, ns: str, name: str) -> dict[str, Any]:
    body: dict[str, Any] = kube.http.get(f"/api/v1/namespaces/{ns}/secrets/{name}").json()
    return body


def apply_config(kube: KubeApiServer, ns: str, password: str, secret: str, **more: Any) -> None:
    """A DatabaseConfig named db on the test server's address (on the allow-list)."""
    spec = {
        "host": "127.0.0.1",
        "database": "duka",
        "user": "duka_app",
        "passwordSecretRef": {"name": password},
        "secretName": secret,
        **more,
    }
    apply_resource(kube, ns, "databaseconfigs", "db", spec)


def config_in(kube: KubeApiServer, ns: str, name: str, phase: str) -> dict[str, Any] | None:
    return in_phase(kube, ns, name, phase, plural="databaseconfigs")


def test_a_keycloak_client_never_overwrites_someone_elses_secret(
    operator: KopfRunner, crds: KubeApiServer, namespace: str
) -> None:
    create_secret(crds, namespace, "payments-db", {"password": "do-not-touch"}, {})
    before = secret_body(crds, namespace, "payments-db")
    apply_client(
        crds,
        namespace,
        "grabber",
        {
            "realm": "duka",
            "clientId": f"op-grab-{uuid.uuid4().hex[:8]}",
            "serviceAccount": True,
            "credentialsSecret": "payments-db",
        },
    )
    body = wait_for(lambda: in_phase(crds, namespace, "grabber", "Failed"), "Failed")
    reason, message = degraded_reason(body)
    assert reason == "SecretOwnedElsewhere"
    assert "never overwrites" in message
    after = secret_body(crds, namespace, "payments-db")
    assert after["data"] == before["data"]
    assert after["metadata"].get("ownerReferences") is None
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    crds.http.delete(f"{API}/{namespace}/keycloakclients/grabber").raise_for_status()


def test_a_database_config_never_overwrites_someone_elses_secret(
    operator: KopfRunner, crds: KubeApiServer, namespace: str
) -> None:
    create_secret(crds, namespace, "app-password", {"password": "pw"}, READABLE)
    create_secret(crds, namespace, "other-app", {"url": "postgresql://keep"}, {})
    apply_config(crds, namespace, "app-password", "other-app")
    body = wait_for(lambda: config_in(crds, namespace, "db", "Failed"), "Failed")
    assert degraded_reason(body)[0] == "SecretOwnedElsewhere"
    assert secret_data(crds, namespace, "other-app") == {"url": "postgresql://keep"}


def test_only_secrets_labelled_readable_are_read(
    operator: KopfRunner, crds: KubeApiServer, namespace: str
) -> None:
    # Someone else's Secret, named as the password: its value must not reach the rendered URL.
    create_secret(crds, namespace, "api-keys", {"password": "someone-elses-key"}, {})
    apply_config(crds, namespace, "api-keys", "rendered")
    body = wait_for(lambda: config_in(crds, namespace, "db", "Degraded"), "Degraded")
    reason, message = degraded_reason(body)
    assert reason == "SecretNotReadable"
    assert "duka.dev/readable-by-operator=true" in message
    assert secret_data(crds, namespace, "rendered") is None

    # Its owner opts in: rendered on the next attempt, with the default sslmode verify-full.
    crds.http.patch(
        f"/api/v1/namespaces/{namespace}/secrets/api-keys",
        json={"metadata": {"labels": READABLE}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).raise_for_status()
    wait_for(lambda: config_in(crds, namespace, "db", "Ready"), "Ready", timeout_s=90)
    data = secret_data(crds, namespace, "rendered")
    assert data is not None
    assert data["url"].endswith("@127.0.0.1:5432/duka?sslmode=verify-full")


@pytest.fixture
def listener() -> Iterator[tuple[str, int, list[bytes]]]:
    """A TCP server on another loopback address that records what connects to it."""
    received: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.2", 0))
    server.listen()
    server.settimeout(0.5)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    received.append(conn.recv(4096) or b"connected")
                except OSError:
                    received.append(b"connected")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield "127.0.0.2", server.getsockname()[1], received
    stop.set()
    thread.join()
    server.close()


def test_a_host_off_the_allow_list_gets_neither_a_connection_nor_a_url(
    operator: KopfRunner,
    crds: KubeApiServer,
    namespace: str,
    listener: tuple[str, int, list[bytes]],
) -> None:
    host, port, received = listener
    create_secret(crds, namespace, "app-password", {"password": "pw"}, READABLE)
    create_secret(crds, namespace, "pg-admin", {"username": "u", "password": "admin-pw"}, READABLE)
    apply_config(
        crds,
        namespace,
        "app-password",
        "rendered",
        host=host,
        port=port,
        sslmode="disable",
        adminCredentialsSecretRef={"name": "pg-admin"},
    )
    body = wait_for(lambda: config_in(crds, namespace, "db", "Failed"), "Failed")
    reason, message = degraded_reason(body)
    assert reason == "HostNotAllowed"
    assert host in message
    assert received == []
    assert secret_data(crds, namespace, "rendered") is None
