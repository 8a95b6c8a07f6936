"""What the operator work will lean on: CRDs and custom objects served and validated by the
real apiserver, and server-side apply (dry-run) of built-in workloads."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.kube_apiserver import KubeApiServer

GROUP = "test.duka.local"
PLURAL = "widgets"
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def _widget_crd() -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "integer", "minimum": 1},
                    "colour": {"type": "string", "default": "green"},
                },
            }
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": PLURAL, "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


def _wait_established(kube: KubeApiServer, name: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    conditions: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        crd = kube.http.get(f"{CRD_PATH}/{name}").json()
        # A CRD's status starts out with conditions null, before the controllers see it.
        conditions = (crd.get("status") or {}).get("conditions") or []
        if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
            return
        time.sleep(0.2)
    raise AssertionError(f"CRD {name} not Established within {timeout_s}s: {conditions}")


@pytest.fixture(scope="module")
def widgets(kube_apiserver: KubeApiServer) -> Iterator[str]:
    """The Widget CRD, installed and Established; yields the namespaced collection path."""
    crd = _widget_crd()
    created = kube_apiserver.http.post(CRD_PATH, json=crd)
    assert created.status_code == 201, created.text
    _wait_established(kube_apiserver, crd["metadata"]["name"])
    yield f"/apis/{GROUP}/v1/namespaces/default/{PLURAL}"
    kube_apiserver.http.delete(f"{CRD_PATH}/{crd['metadata']['name']}")


def _widget(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": spec,
    }


def test_a_custom_object_is_stored_with_schema_defaults(
    kube_apiserver: KubeApiServer, widgets: str
) -> None:
    name = f"w-{uuid.uuid4().hex[:8]}"
    created = kube_apiserver.http.post(widgets, json=_widget(name, {"size": 3}))
    assert created.status_code == 201, created.text

    stored = kube_apiserver.http.get(f"{widgets}/{name}").json()
    assert stored["spec"] == {"size": 3, "colour": "green"}
    listed = kube_apiserver.kubectl("get", f"{PLURAL}.{GROUP}", "-o", "json")
    assert name in {item["metadata"]["name"] for item in json.loads(listed.stdout)["items"]}


def test_the_crd_schema_rejects_an_invalid_object(
    kube_apiserver: KubeApiServer, widgets: str
) -> None:
    name = f"w-{uuid.uuid4().hex[:8]}"
    answer = kube_apiserver.http.post(widgets, json=_widget(name, {"size": 0}))
    assert answer.status_code == 422
    assert "spec.size" in answer.json()["message"]
    assert kube_apiserver.http.get(f"{widgets}/{name}").status_code == 404


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: api
          image: duka:dev
          ports: [{{containerPort: 8000}}]
"""


def test_server_side_dry_run_apply_defaults_but_stores_nothing(
    kube_apiserver: KubeApiServer,
) -> None:
    name = f"duka-{uuid.uuid4().hex[:8]}"
    done = kube_apiserver.kubectl(
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager=duka-test",
        "--show-managed-fields",
        "-o",
        "json",
        "-f",
        "-",
        stdin=DEPLOYMENT.format(name=name),
    )
    applied = json.loads(done.stdout)
    # Server-side defaulting ran, so the apiserver (not kubectl) processed the object...
    assert applied["spec"]["strategy"]["type"] == "RollingUpdate"
    assert applied["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert applied["metadata"]["managedFields"][0]["manager"] == "duka-test"
    assert applied["metadata"]["managedFields"][0]["operation"] == "Apply"
    # ...and, being a dry run, kept nothing.
    path = f"/apis/apps/v1/namespaces/default/deployments/{name}"
    assert kube_apiserver.http.get(path).status_code == 404


def test_server_side_dry_run_apply_rejects_an_invalid_deployment(
    kube_apiserver: KubeApiServer,
) -> None:
    broken = DEPLOYMENT.format(name="duka-broken").replace("replicas: 2", "replicas: -1")
    done = kube_apiserver.kubectl(
        "apply", "--server-side", "--dry-run=server", "-f", "-", stdin=broken, check=False
    )
    assert done.returncode != 0
    assert "spec.replicas" in done.stderr
