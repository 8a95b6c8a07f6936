"""DatabaseConfig end to end: the operator provisions a role and database on the test
PostgreSQL, renders the Secret, and rolls the Deployments that consume it."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
import pytest
from kopf.testing import KopfRunner
from psycopg import sql

from tests.integration.operator.conftest import API, wait_for
from tests.support.kube_apiserver import KubeApiServer

ANNOTATION = "duka.dev/database-config-checksum"


@pytest.fixture
def app_role(database_url: str) -> Iterator[str]:
    name = f"op_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def post(kube: KubeApiServer, path: str, body: dict[str, Any]) -> None:
    kube.http.post(path, json=body).raise_for_status()


def secret(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        # The opt-in the operator requires before it reads a Secret.
        "metadata": {"name": name, "labels": {"duka.dev/readable-by-operator": "true"}},
        "stringData": data,
    }


def provisioning_config(
    kube: KubeApiServer, ns: str, database_url: str, role: str, password: str, **more: Any
) -> None:
    """The DatabaseConfig db with its Secrets: the app password and the test server's
    superuser as admin credentials; it provisions `role` (also the database's name)."""
    server = urlsplit(database_url)
    core = f"/api/v1/namespaces/{ns}"
    post(kube, f"{core}/secrets", secret("app-password", {"password": password}))
    login = {"username": unquote(server.username or ""), "password": unquote(server.password or "")}
    post(kube, f"{core}/secrets", secret("pg-admin", login))
    spec = {
        "host": server.hostname,
        "port": server.port,
        "database": role,
        "user": role,
        "passwordSecretRef": {"name": "app-password"},
        "secretName": "duka-database",
        "adminCredentialsSecretRef": {"name": "pg-admin"},
        **more,
    }
    body = {"apiVersion": "duka.dev/v1alpha1", "kind": "DatabaseConfig", "metadata": {"name": "db"}}
    post(kube, f"{API}/{ns}/databaseconfigs", {**body, "spec": spec})


def deployment(name: str, config: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"duka.dev/database-config": config}},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "api", "image": "duka:test"}]},
            },
        },
    }


def pod_annotation(kube: KubeApiServer, ns: str, name: str) -> str | None:
    body = kube.http.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}").json()
    annotations = body["spec"]["template"]["metadata"].get("annotations") or {}
    value: str | None = annotations.get(ANNOTATION)
    return value


def rendered_url(kube: KubeApiServer, ns: str, name: str) -> str | None:
    answer = kube.http.get(f"/api/v1/namespaces/{ns}/secrets/{name}")
    if answer.status_code == 404:
        return None
    return base64.b64decode(answer.json()["data"]["DUKA_DATABASE_URL"]).decode()


def ready_config(kube: KubeApiServer, ns: str, name: str) -> dict[str, Any] | None:
    body: dict[str, Any] = kube.http.get(f"{API}/{ns}/databaseconfigs/{name}").json()
    return body if body.get("status", {}).get("phase") == "Ready" else None


def test_database_config_provisions_renders_and_rolls(
    operator: KopfRunner, crds: KubeApiServer, namespace: str, database_url: str, app_role: str
) -> None:
    core = f"/api/v1/namespaces/{namespace}"
    post(crds, f"/apis/apps/v1/namespaces/{namespace}/deployments", deployment("api", "db"))
    provisioning_config(crds, namespace, database_url, app_role, "pa ss/word", sslmode="disable")

    url = wait_for(lambda: rendered_url(crds, namespace, "duka-database"), "the rendered Secret")
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT current_user, current_database()").fetchone()
    assert row == (app_role, app_role)
    first = wait_for(lambda: pod_annotation(crds, namespace, "api"), "the rollout annotation")
    # kopf writes the status once the handler returns, after the Deployment's patch.
    config = wait_for(lambda: ready_config(crds, namespace, "db"), "the DatabaseConfig Ready")
    assert config["status"]["phase"] == "Ready"
    assert config["status"]["checksum"] == first
    # The spec's explicit downgrade from verify-full is printed in status.
    assert "spec.sslmode=disable" in config["status"]["tlsDowngrade"]
    assert "not encrypted" in config["status"]["tlsDowngrade"]

    crds.http.patch(
        f"{API}/{namespace}/databaseconfigs/db",
        json={"spec": {"pool": {"minSize": 2, "maxSize": 8}}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).raise_for_status()
    second = wait_for(
        lambda: (value := pod_annotation(crds, namespace, "api")) != first and value,
        "a new rollout annotation",
    )
    assert second != first
    data = crds.http.get(f"{core}/secrets/duka-database").json()["data"]
    assert base64.b64decode(data["DUKA_DB_MAX_OVERFLOW"]) == b"6"


def test_the_admin_connection_verifies_tls_unless_the_spec_downgrades(
    operator: KopfRunner, crds: KubeApiServer, namespace: str, database_url: str, app_role: str
) -> None:
    provisioning_config(crds, namespace, database_url, app_role, "pw")

    def status() -> dict[str, Any] | None:
        found: dict[str, Any] = crds.http.get(f"{API}/{namespace}/databaseconfigs/db").json()
        return found["status"] if found.get("status", {}).get("phase") == "Degraded" else None

    # The test server has no certificate to verify: the connection is refused before any
    # password is sent, and nothing is provisioned or rendered.
    seen = wait_for(status, "the Degraded phase")
    assert seen.get("tlsDowngrade") is None
    with psycopg.connect(database_url) as conn:
        found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app_role,)).fetchone()
    assert found is None
    assert rendered_url(crds, namespace, "duka-database") is None
