"""The Helm chart: lint and render with every values example, the values schema's refusals,
and what each rendered workload must be (non-root, read-only, sized, probed, pinned)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from duka.notifications.outbox.depth import BACKLOG_SQL
from tests.integration.deploy.deploy_support import (
    CHART,
    NAMESPACE,
    Manifest,
    Rendered,
    helm_template,
    run,
)

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}


def pod_spec(doc: Manifest) -> dict[str, Any]:
    if doc["kind"] == "Pod":
        return dict(doc["spec"])
    if doc["kind"] == "CronJob":
        return dict(doc["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    return dict(doc["spec"]["template"]["spec"])


def containers(doc: Manifest) -> Iterator[dict[str, Any]]:
    spec = pod_spec(doc)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def workloads(rendered: Rendered) -> list[Manifest]:
    return [d for d in rendered.documents if d["kind"] in WORKLOADS]


def test_helm_lint_strict(helm: Path, example: str) -> None:
    argv: list[str | Path] = [helm, "lint", "--strict", CHART, "--namespace", NAMESPACE]
    if example != "default":
        argv += ["--values", CHART / "examples" / f"{example}.yaml"]
    out = run(argv)
    assert "0 chart(s) failed" in out


def test_renders_the_expected_objects(render: Callable[[str], Rendered], example: str) -> None:
    kinds = render(example).kinds()
    assert {"ConfigMap", "Deployment", "Service", "ServiceAccount", "Job"} <= kinds
    assert {"NetworkPolicy", "Pod"} <= kinds  # network policies and the `helm test` pod


def test_no_container_runs_as_root(render: Callable[[str], Rendered], example: str) -> None:
    for doc in workloads(render(example)):
        spec = pod_spec(doc)
        pod_ctx = spec.get("securityContext", {})
        assert pod_ctx.get("runAsNonRoot") is True, doc["metadata"]["name"]
        assert pod_ctx.get("runAsUser", 0) > 0, doc["metadata"]["name"]
        assert pod_ctx.get("seccompProfile", {}).get("type") == "RuntimeDefault"
        for c in containers(doc):
            ctx = c.get("securityContext", {})
            where = f"{doc['metadata']['name']}/{c['name']}"
            assert ctx.get("runAsNonRoot") is True, where
            assert ctx.get("runAsUser", pod_ctx["runAsUser"]) > 0, where
            assert ctx.get("allowPrivilegeEscalation") is False, where
            assert ctx.get("readOnlyRootFilesystem") is True, where
            assert ctx.get("privileged", False) is False, where
            assert "ALL" in ctx.get("capabilities", {}).get("drop", []), where


def test_every_container_is_sized(render: Callable[[str], Rendered], example: str) -> None:
    for doc in workloads(render(example)):
        for c in containers(doc):
            res = c.get("resources", {})
            where = f"{doc['metadata']['name']}/{c['name']}"
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(res.get(bound, {})), f"{where}: {bound}"


def test_long_running_containers_have_probes(
    render: Callable[[str], Rendered], example: str
) -> None:
    deployments = [d for d in render(example).documents if d["kind"] == "Deployment"]
    assert deployments
    for doc in deployments:
        for c in containers(doc):
            where = f"{doc['metadata']['name']}/{c['name']}"
            assert "livenessProbe" in c, where
            assert "readinessProbe" in c, where


def test_images_are_pinned(render: Callable[[str], Rendered], example: str) -> None:
    for doc in workloads(render(example)):
        for c in containers(doc):
            image = c["image"]
            if "@sha256:" in image:
                continue
            _, _, tag = image.rpartition(":")
            assert tag, f"{image}: no tag"
            assert "/" not in tag, f"{image}: no tag"
            assert tag != "latest", f"{image}: a latest tag"


def test_read_only_root_gets_a_writable_tmp(
    render: Callable[[str], Rendered], example: str
) -> None:
    for doc in workloads(render(example)):
        volumes = {v["name"]: v for v in pod_spec(doc).get("volumes", [])}
        for c in containers(doc):
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            if doc["kind"] == "Pod":
                continue  # the `helm test` pod writes nothing
            assert "/tmp" in mounts, f"{doc['metadata']['name']}/{c['name']}"
            assert "emptyDir" in volumes[mounts["/tmp"]]


def test_api_probes_and_spreading(render: Callable[[str], Rendered]) -> None:
    api = render("default").find("Deployment", "-api")
    c = pod_spec(api)["containers"][0]
    assert c["command"] == ["duka", "serve"]
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    keys = {t["topologyKey"] for t in pod_spec(api)["topologySpreadConstraints"]}
    assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    assert api["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert pod_spec(api)["automountServiceAccountToken"] is False


def test_migrations_are_a_hook_not_part_of_api_start(render: Callable[[str], Rendered]) -> None:
    rendered = render("default")
    job = rendered.find("Job", "-migrate")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert pod_spec(job)["containers"][0]["command"] == ["duka", "migrate"]
    for doc in rendered.documents:
        if doc["kind"] == "Deployment":
            for c in containers(doc):
                assert "migrate" not in c.get("command", []) + c.get("args", [])
    with_operator = render("with-operator").find("Job", "-migrate")
    assert with_operator["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"


def test_operator_is_single_and_least_privileged(render: Callable[[str], Rendered]) -> None:
    rendered = render("with-operator")
    op = rendered.find("Deployment", "-operator")
    assert op["spec"]["replicas"] == 1
    assert op["spec"]["strategy"] == {"type": "Recreate"}
    assert pod_spec(op)["containers"][0]["args"] == [f"--namespace={NAMESPACE}"]
    rules = [
        rule
        for doc in rendered.documents
        if doc["kind"] in ("Role", "ClusterRole")
        for rule in doc["rules"]
    ]
    assert rules
    for rule in rules:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], rule
    cluster = rendered.find("ClusterRole")
    assert {v for r in cluster["rules"] for v in r["verbs"]} <= {"get", "list", "watch"}
    assert {"DatabaseConfig", "KeycloakClient"} <= rendered.kinds()
    assert "ClusterRole" not in render("default").kinds()


def test_checksum_follows_the_configuration(helm: Path) -> None:
    def checksum(*sets: str) -> str:
        argv = [x for s in sets for x in ("--set", s)]
        rendered = Rendered("x", helm_template(helm, [], *argv))
        api = rendered.find("Deployment", "-api")
        return str(api["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    base = checksum()
    assert checksum("config.logLevel=debug") != base
    assert checksum("api.replicas=5") == base


def test_ingress_hpa_and_budget(render: Callable[[str], Rendered]) -> None:
    rendered = render("external-everything")
    ingress = rendered.find("Ingress")
    assert ingress["spec"]["tls"] == [{"hosts": ["api.example.com"], "secretName": "duka-api-tls"}]
    assert rendered.find("HorizontalPodAutoscaler")["spec"]["maxReplicas"] == 12
    assert rendered.find("PodDisruptionBudget")["spec"]["minAvailable"] == 2
    api = rendered.find("Deployment", "-api")
    assert "replicas" not in api["spec"]  # the HPA owns the count
    image = pod_spec(api)["containers"][0]["image"]
    assert image == "ghcr.io/duka-dev/duka@sha256:" + "0" * 64


def test_runners_scale_on_the_outbox_backlog_with_keda(
    render: Callable[[str], Rendered],
) -> None:
    assert not {"ScaledObject", "TriggerAuthentication"} & render("default").kinds()
    rendered = render("external-everything")
    scaled = rendered.find("ScaledObject")
    flows = rendered.find("Deployment", "-flows")
    assert "replicas" not in flows["spec"]  # KEDA owns the count
    assert scaled["spec"]["scaleTargetRef"]["name"] == flows["metadata"]["name"]
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (1, 8)
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "postgresql"
    assert trigger["metadata"]["query"] == BACKLOG_SQL
    assert trigger["metadata"]["targetQueryValue"] == "500"
    # Scaling down waits out the HPA's usual window unless the values shorten it.
    behavior = scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior == {"scaleDown": {"stabilizationWindowSeconds": 300}}
    auth = rendered.find("TriggerAuthentication")
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    # The database URL comes from the existing Secret, never from the values.
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "connection", "name": "duka-database", "key": "url"}
    ]


def test_keda_needs_a_secret_with_the_database_url(helm: Path) -> None:
    done = subprocess.run(
        [str(helm), "template", "duka", str(CHART), "--set", "flows.autoscaling.enabled=true"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "flows.autoscaling needs a Secret" in done.stderr


def test_metrics_ports_stay_out_of_the_ingress_service(render: Callable[[str], Rendered]) -> None:
    rendered = render("external-everything")
    api_service = rendered.find("Service", "-api")
    assert [p["name"] for p in api_service["spec"]["ports"]] == ["http"]
    ingress_backend = rendered.find("Ingress")["spec"]["rules"][0]["http"]["paths"][0]
    assert ingress_backend["backend"]["service"]["name"] == api_service["metadata"]["name"]
    for component, port in (("api", 9464), ("flows", 9465)):
        service = rendered.find("Service", f"-{component}-metrics")
        assert service["spec"]["clusterIP"] == "None"
        assert service["spec"]["ports"] == [
            {"name": "metrics", "port": port, "targetPort": "metrics", "protocol": "TCP"}
        ]
        ports = pod_spec(rendered.find("Deployment", f"-{component}"))["containers"][0]["ports"]
        assert {"name": "metrics", "containerPort": port, "protocol": "TCP"} in ports
    scrape = rendered.find("NetworkPolicy", "-metrics")
    assert scrape["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": "metrics"}]


def secret_env(doc: Manifest) -> dict[str, dict[str, str]]:
    env = pod_spec(doc)["containers"][0].get("env") or []
    return {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env if "valueFrom" in e}


def test_secrets_come_from_existing_secrets(render: Callable[[str], Rendered]) -> None:
    rendered = render("minimal")
    assert "Secret" not in rendered.kinds()
    api = secret_env(rendered.find("Deployment", "-api"))
    assert api["DUKA_DATABASE_URL"] == {"name": "duka-database", "key": "url"}
    flows = secret_env(rendered.find("Deployment", "-flows"))
    assert flows["DUKA_AT_API_KEY"] == {"name": "duka-africastalking", "key": "api-key"}


def test_each_pod_gets_only_the_secrets_it_reads(helm: Path) -> None:
    """Issue 11: the API and the migrations received the AT API key and the OIDC client
    secret, which they never read."""
    sets = [
        "secrets.database.existingSecret=db",
        "secrets.africastalking.existingSecret=at",
        "secrets.callback.existingSecret=cb",
        "secrets.oidc.existingSecret=oidc",
        "prefect.existingSecret=prefect",
    ]
    rendered = Rendered("x", helm_template(helm, [], *[x for s in sets for x in ("--set", s)]))
    api = secret_env(rendered.find("Deployment", "-api"))
    flows = secret_env(rendered.find("Deployment", "-flows"))
    migrate = secret_env(rendered.find("Job", "-migrate"))
    assert set(api) == {"DUKA_DATABASE_URL", "DUKA_AT_CALLBACK_SECRET"}
    assert set(flows) == {"DUKA_DATABASE_URL", "DUKA_AT_API_KEY", "PREFECT_API_KEY"}
    assert set(migrate) == {"DUKA_DATABASE_URL"}
    secret_names = {
        ref["name"]
        for doc in rendered.documents
        if doc["kind"] in WORKLOADS
        for ref in secret_env(doc).values()
    }
    assert "oidc" not in secret_names


def test_operator_secret_access_and_api_server_egress(render: Callable[[str], Rendered]) -> None:
    rendered = render("with-operator")
    role = rendered.find("Role")
    secrets = next(r for r in role["rules"] if "secrets" in r["resources"])
    assert sorted(secrets["verbs"]) == ["create", "get", "patch"]
    policy = rendered.find("NetworkPolicy", "-operator")
    ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert {443, 6443} <= ports
    env = {
        e["name"]: e.get("value")
        for e in pod_spec(rendered.find("Deployment", "-operator"))["containers"][0]["env"]
    }
    assert env["DUKA_OPERATOR_DATABASE_HOSTS"] == '["postgres.databases.svc.cluster.local"]'
    assert "realm-management" in env["DUKA_OPERATOR_PROTECTED_CLIENT_IDS"]
    assert env["DUKA_OPERATOR_ADOPTABLE_CLIENT_IDS"] == "[]"
    client = rendered.find("KeycloakClient")
    # The example once took over duka-api, the realm's own client for the API.
    assert client["spec"]["clientId"] != "duka-api"


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("image.tag=latest", "image[./]tag"),
        ("unknownKey=1", "unknownKey"),
        ("api.resources.limits=null", "resources"),
        ("securityContext.runAsNonRoot=false", "runAsNonRoot"),
        ("api.replicas=0", "replicas"),
        ("config.extra.NOT_DUKA=1", "NOT_DUKA"),
        # A runner also sweeps and prunes: KEDA must never scale the runners to zero.
        ("flows.autoscaling.minReplicas=0", "minReplicas"),
    ],
)
def test_values_schema_refuses(helm: Path, setting: str, complaint: str) -> None:
    done = subprocess.run(
        [str(helm), "template", "duka", str(CHART), "--set", setting],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0, f"{setting} was accepted"
    assert re.search(complaint, done.stderr), done.stderr
