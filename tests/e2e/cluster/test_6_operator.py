"""The operator running in the cluster (the chart's operator Deployment, from the duka image):
- a KeycloakClient applied with kubectl becomes a Keycloak client whose credentials Secret
  works: the client credentials grant with it gets a token from the in-cluster Keycloak;
- changing a DatabaseConfig rewrites its Secret and rolls the Deployment that consumes it:
  new pods, with the new settings in their environment.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from devtools.keycloak_api import OPERATOR_CLIENT, OPERATOR_SECRET
from tests.e2e.cluster.stack import RELEASE, Stack, wait_for

CONSUMER = "duka-e2e-consumer"
SMALL = {
    "requests": {"cpu": "20m", "memory": "128Mi"},
    "limits": {"cpu": "500m", "memory": "256Mi"},
}


def _apply(stack: Stack, *objects: dict[str, Any]) -> None:
    stack.kubectl(
        "apply",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}),
    )


def _secret(stack: Stack, name: str) -> dict[str, str] | None:
    done = stack.kubectl("get", "secret", name, "-o", "json", check=False)
    if done.returncode != 0:
        return None
    data = json.loads(done.stdout).get("data", {})
    return {k: base64.b64decode(v).decode() for k, v in data.items()}


def _operator_view(stack: Stack, database_config: str) -> str:
    """What the operator made of a DatabaseConfig: its status and the operator's last lines."""
    status = stack.kubectl(
        "get", "databaseconfig", database_config, "-o", "jsonpath={.status}", check=False
    ).stdout
    logs = stack.kubectl("logs", f"deployment/{RELEASE}-operator", "--tail=60", check=False).stdout
    return f"status: {status}\noperator log:\n{logs}\n{stack.dump_on_failure()}"


def _operator_on(stack: Stack) -> None:
    _apply(
        stack,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "duka-operator-keycloak"},
            "stringData": {"client-id": OPERATOR_CLIENT, "client-secret": OPERATOR_SECRET},
        },
    )
    done = stack.deploy(
        "--reuse-values",
        "--set", "operator.enabled=true",
        "--set-string", "operator.keycloak.url=http://keycloak:8080",
        "--set-string", "operator.keycloak.existingSecret=duka-operator-keycloak",
        "--set-json", f"operator.resources={json.dumps(SMALL)}",
        # The operator connects only to allow-listed database hosts (docs/operator.md).
        "--set-json", 'operator.databaseHosts=["postgres"]',
    )  # fmt: skip
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    stack.kubectl("rollout", "status", f"deployment/{RELEASE}-operator", "--timeout=300s")


def test_keycloak_client_and_database_config_in_cluster(stack: Stack) -> None:
    _operator_on(stack)

    _apply(
        stack,
        {
            "apiVersion": "duka.dev/v1alpha1",
            "kind": "KeycloakClient",
            "metadata": {"name": "duka-e2e-client"},
            "spec": {
                "realm": "duka",
                "clientId": "duka-e2e-client",
                "publicClient": False,
                "standardFlow": False,
                "serviceAccount": True,
                "credentialsSecret": "duka-e2e-client",
                "deletionPolicy": "Delete",
            },
        },
    )
    creds = wait_for(lambda: _secret(stack, "duka-e2e-client"), "credentials Secret", 300, 2)
    answer = httpx.post(
        f"{stack.service_url('keycloak')}/realms/duka/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client-id"],
            "client_secret": creds["client-secret"],
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["access_token"]

    database_config: dict[str, Any] = {
        "apiVersion": "duka.dev/v1alpha1",
        "kind": "DatabaseConfig",
        "metadata": {"name": "duka-e2e-db"},
        "spec": {
            "host": "postgres",
            "port": 5432,
            "database": "duka",
            "user": "duka",
            "passwordSecretRef": {"name": "duka-e2e-db-password", "key": "password"},
            "sslmode": "disable",
            "pool": {"minSize": 2, "maxSize": 5, "timeoutSeconds": 5},
            "secretName": "duka-e2e-db",
        },
    }
    password = {
        "apiVersion": "v1",
        "kind": "Secret",
        # The operator reads only Secrets that opt in with this label (docs/operator.md).
        "metadata": {
            "name": "duka-e2e-db-password",
            "labels": {"duka.dev/readable-by-operator": "true"},
        },
        "stringData": {"password": "duka-dev-password"},
    }
    _apply(stack, password, database_config)
    try:
        wait_for(lambda: _secret(stack, "duka-e2e-db"), "database Secret", 300, 2)
    except AssertionError as missing:
        raise AssertionError(f"{missing}\n{_operator_view(stack, 'duka-e2e-db')}") from None
    labels = {"app": CONSUMER, "duka.dev/database-config": "duka-e2e-db"}
    _apply(
        stack,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": CONSUMER, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": CONSUMER}},
                "template": {
                    "metadata": {"labels": {"app": CONSUMER}},
                    "spec": {
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
                        "containers": [
                            {
                                "name": "consumer",
                                "image": stack.images.duka,
                                "imagePullPolicy": "Never",
                                "command": ["python", "-c", "import time; time.sleep(10**6)"],
                                "envFrom": [{"secretRef": {"name": "duka-e2e-db"}}],
                                "resources": {"requests": {"cpu": "5m", "memory": "32Mi"}},
                            }
                        ],
                    },
                },
            },
        },
    )
    stack.kubectl("rollout", "status", f"deployment/{CONSUMER}", "--timeout=180s")
    (before,) = stack.pods_of(CONSUMER)
    env = stack.kubectl("exec", before, "--", "printenv", "DUKA_DB_MAX_OVERFLOW").stdout.strip()
    assert env == "3"

    database_config["spec"]["pool"] = {"minSize": 2, "maxSize": 9, "timeoutSeconds": 5}
    _apply(stack, database_config)

    def rolled() -> str | None:
        pods = stack.pods_of(CONSUMER)
        return pods[0] if len(pods) == 1 and pods[0] != before else None

    after = wait_for(rolled, "the consumer's pods replaced", timeout_s=300, every_s=2)
    stack.kubectl("rollout", "status", f"deployment/{CONSUMER}", "--timeout=180s")
    env = stack.kubectl("exec", after, "--", "printenv", "DUKA_DB_MAX_OVERFLOW").stdout.strip()
    assert env == "7"
    annotations = stack.get("deployment", CONSUMER)["spec"]["template"]["metadata"]["annotations"]
    assert "duka.dev/database-config-checksum" in annotations
