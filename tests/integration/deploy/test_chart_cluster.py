"""The rendered chart against Kubernetes itself: kubeconform -strict with schemas generated
from the pinned kube-apiserver (nothing is downloaded), and a server-side dry-run apply to that
apiserver, for every values example and the dev stack."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.integration.deploy.deploy_support import (
    CHART,
    NAMESPACE,
    Manifest,
    Rendered,
    load_yaml_all,
    monitoring_crds,
    run,
)
from tests.integration.deploy.openapi_schemas import SCHEMA_LOCATION, write_schemas
from tests.support.keda_crds import KINDS as KEDA_KINDS
from tests.support.keda_crds import keda_crds
from tests.support.kube_apiserver import KubeApiServer

CRD_DIR = CHART / "crds"
CUSTOM_GROUP = "duka.dev"


def chart_crds() -> list[Manifest]:
    files = sorted(CRD_DIR.glob("*.yaml")) if CRD_DIR.is_dir() else []
    return [d for f in files for d in load_yaml_all(f.read_text()) if d]


@cache
def cluster_crds() -> list[Manifest]:
    """The chart's CRDs and those of what it optionally uses: the Prometheus Operator's (its
    monitoring objects) and KEDA's (the runner's ScaledObject), from their Go modules."""
    return [*chart_crds(), *monitoring_crds(), *keda_crds()]


def crd_kinds() -> set[str]:
    return {crd["spec"]["names"]["kind"] for crd in cluster_crds()}


def without_undefined_custom_kinds(documents: list[Manifest]) -> list[Manifest]:
    """Custom resources whose CRD is not in crds/ yet (the operator's CRDs arrive with the
    operator) cannot be checked: only those, and only of group duka.dev, are left out."""
    defined = crd_kinds()
    kept = []
    for doc in documents:
        group = doc["apiVersion"].partition("/")[0] if "/" in doc["apiVersion"] else ""
        if group == CUSTOM_GROUP and doc["kind"] not in defined:
            continue
        kept.append(doc)
    return kept


def as_yaml_stream(documents: list[Manifest]) -> str:
    # JSON documents are YAML documents: kubectl and kubeconform read them as they are.
    return "\n---\n".join(json.dumps(doc) for doc in documents) + "\n"


@pytest.fixture(scope="session")
def cluster(kube_apiserver: KubeApiServer) -> KubeApiServer:
    """The apiserver with the release namespace and the chart's CRDs really created."""
    existing = kube_apiserver.kubectl("get", "namespace", NAMESPACE, check=False)
    if existing.returncode != 0:
        kube_apiserver.kubectl("create", "namespace", NAMESPACE)
    crds = cluster_crds()
    if crds:
        kube_apiserver.kubectl("apply", "--server-side", "-f", "-", stdin=as_yaml_stream(crds))
        kube_apiserver.kubectl(
            "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"
        )
    return kube_apiserver


@pytest.fixture(scope="session")
def schema_dir(cluster: KubeApiServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = crd_kinds() | KEDA_KINDS
    deadline = time.monotonic() + 60
    while True:
        # The apiserver republishes its OpenAPI document a moment after a CRD is established.
        openapi: dict[str, Any] = cluster.http.get("/openapi/v2", timeout=60).json()
        published = {
            gvk["kind"]
            for d in openapi["definitions"].values()
            for gvk in d.get("x-kubernetes-group-version-kind", [])
        }
        if wanted <= published or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert wanted <= published, f"CRDs never published: {wanted - published}"
    folder = tmp_path_factory.mktemp("kubeconform-schemas")
    written = write_schemas(openapi, folder)
    assert (folder / "apps" / "v1" / "deployment.json") in written
    return folder


def kubeconform_check(kubeconform: Path, schema_dir: Path, manifests: Path) -> str:
    return run(
        [
            kubeconform,
            "-strict",
            "-summary",
            "-output",
            "text",
            "-schema-location",
            f"{schema_dir}/{SCHEMA_LOCATION}",
            manifests,
        ]
    )


def test_kubeconform_strict(
    kubeconform: Path,
    schema_dir: Path,
    render: Callable[[str], Rendered],
    example: str,
    tmp_path: Path,
) -> None:
    documents = without_undefined_custom_kinds(render(example).documents)
    manifests = tmp_path / f"{example}.yaml"
    manifests.write_text(as_yaml_stream(documents))
    summary = kubeconform_check(kubeconform, schema_dir, manifests)
    assert f"{len(documents)} resources found" in summary
    assert "Invalid: 0, Errors: 0, Skipped: 0" in summary


def test_kubeconform_strict_devstack(
    kubeconform: Path, schema_dir: Path, render_devstack: str, tmp_path: Path
) -> None:
    manifests = tmp_path / "devstack.yaml"
    manifests.write_text(render_devstack)
    summary = kubeconform_check(kubeconform, schema_dir, manifests)
    assert "Invalid: 0, Errors: 0, Skipped: 0" in summary


def test_generated_schemas_are_strict(
    kubeconform: Path, schema_dir: Path, render: Callable[[str], Rendered], tmp_path: Path
) -> None:
    deployment = render("default").find("Deployment", "-api")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    manifests = tmp_path / "typo.yaml"
    manifests.write_text(as_yaml_stream([deployment]))
    done = subprocess.run(
        [
            str(kubeconform),
            "-strict",
            "-schema-location",
            f"{schema_dir}/{SCHEMA_LOCATION}",
            str(manifests),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "livenessProbes" in done.stdout + done.stderr


def server_dry_run(cluster: KubeApiServer, documents: list[Manifest]) -> str:
    done = cluster.kubectl(
        "apply",
        "--dry-run=server",
        "--validate=strict",
        "--namespace",
        NAMESPACE,
        "-f",
        "-",
        stdin=as_yaml_stream(documents),
        check=False,
        timeout_s=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_server_side_dry_run(
    cluster: KubeApiServer, render: Callable[[str], Rendered], example: str
) -> None:
    documents = without_undefined_custom_kinds(render(example).documents)
    out = server_dry_run(cluster, documents)
    assert out.count("(server dry run)") == len(documents), out


def test_server_side_dry_run_devstack(cluster: KubeApiServer, render_devstack: str) -> None:
    documents = load_yaml_all(render_devstack)
    out = server_dry_run(cluster, documents)
    assert out.count("(server dry run)") == len(documents), out


def test_server_refuses_what_the_chart_must_not_produce(
    cluster: KubeApiServer, render: Callable[[str], Rendered]
) -> None:
    """The dry-run is a real check: the apiserver rejects an invalid object."""
    deployment = render("default").find("Deployment", "-api")
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = 0
    done = cluster.kubectl(
        "apply",
        "--dry-run=server",
        "-n",
        NAMESPACE,
        "-f",
        "-",
        stdin=as_yaml_stream([deployment]),
        check=False,
    )
    assert done.returncode != 0
    assert "containerPort" in done.stderr


def test_keda_objects_are_checked_against_keda_crds(
    cluster: KubeApiServer, render: Callable[[str], Rendered]
) -> None:
    """The chart's ScaledObject and TriggerAuthentication pass KEDA's own schema (the
    examples' dry-runs above), and that schema is really applied: a broken one is refused."""
    rendered = render("external-everything")
    objects = [rendered.find("TriggerAuthentication"), rendered.find("ScaledObject")]
    out = server_dry_run(cluster, objects)
    name = objects[1]["metadata"]["name"]
    assert f"scaledobject.keda.sh/{name} created (server dry run)" in out, out
    broken = rendered.find("ScaledObject")
    del broken["spec"]["scaleTargetRef"]["name"]
    done = cluster.kubectl(
        "apply",
        "--dry-run=server",
        "-n",
        NAMESPACE,
        "-f",
        "-",
        stdin=as_yaml_stream([broken]),
        check=False,
    )
    assert done.returncode != 0
    assert "scaleTargetRef.name" in done.stderr
