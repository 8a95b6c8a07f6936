"""The local Kubernetes API harness: a real apiserver that answers, authenticates and
authorizes, and that kubectl can talk to through the kubeconfig it writes."""

from __future__ import annotations

import base64
import json
import ssl
import tomllib
import uuid

import httpx

from tests.support.kube_apiserver import KubeApiServer
from tests.support.kube_tools import TOOLS, tool_path


def _pinned_kubernetes() -> str:
    with (TOOLS / "versions.toml").open("rb") as f:
        return str(tomllib.load(f)["kubernetes"])


def test_apiserver_is_ready_and_reports_its_version(kube_apiserver: KubeApiServer) -> None:
    assert kube_apiserver.http.get("/readyz").text == "ok"
    version = kube_apiserver.http.get("/version").json()
    assert version["major"] == "1"
    if tool_path("kube-apiserver").name.endswith(_pinned_kubernetes()):
        assert version["gitVersion"] == _pinned_kubernetes()


def test_requests_without_the_client_certificate_are_not_authorized(
    kube_apiserver: KubeApiServer,
) -> None:
    trust_only = ssl.create_default_context(cafile=str(kube_apiserver.pki.ca_cert))
    with httpx.Client(verify=trust_only, timeout=10) as anonymous:
        answer = anonymous.get(f"{kube_apiserver.url}/api/v1/namespaces")
    # RBAC is on: system:anonymous may not list namespaces.
    assert answer.status_code == 403
    assert "system:anonymous" in answer.json()["message"]


def test_the_client_certificate_is_a_cluster_admin(kube_apiserver: KubeApiServer) -> None:
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    answer = kube_apiserver.http.post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews", json=review
    )
    assert answer.status_code == 201, answer.text
    user = answer.json()["status"]["userInfo"]
    assert user["username"] == "duka-admin"
    assert "system:masters" in user["groups"]


def test_kubectl_lists_namespaces_with_the_kubeconfig(kube_apiserver: KubeApiServer) -> None:
    done = kube_apiserver.kubectl("get", "namespaces", "-o", "json")
    names = {item["metadata"]["name"] for item in json.loads(done.stdout)["items"]}
    assert {"default", "kube-system", "kube-public"} <= names


def test_kubectl_reports_a_missing_object_as_an_error(kube_apiserver: KubeApiServer) -> None:
    done = kube_apiserver.kubectl("get", "namespace", "no-such-namespace", check=False)
    assert done.returncode == 1
    assert "NotFound" in done.stderr


def test_service_account_tokens_are_signed_by_the_harness_key(
    kube_apiserver: KubeApiServer,
) -> None:
    name = f"sa-{uuid.uuid4().hex[:8]}"
    base = "/api/v1/namespaces/default/serviceaccounts"
    created = kube_apiserver.http.post(base, json={"metadata": {"name": name}})
    assert created.status_code == 201, created.text
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}
    answer = kube_apiserver.http.post(f"{base}/{name}/token", json=request)
    assert answer.status_code == 201, answer.text
    token = answer.json()["status"]["token"]
    header, claims = (
        json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        for part in token.split(".")[:2]
    )
    assert header["alg"] == "RS256"
    assert claims["iss"] == f"{kube_apiserver.url}/"
    assert claims["sub"] == f"system:serviceaccount:default:{name}"
