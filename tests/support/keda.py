"""KEDA itself on the test cluster (tests/support/kube_cluster.py): its operator and its
external-metrics API server as pods, installed from KEDA's own manifests.

- The binaries come from KEDA's Go module at the `keda` pin (deploy/tools: `keda`,
  `keda-adapter`), each in a `FROM scratch` image like the cluster's CoreDNS; nothing is
  pulled.
- The manifests are KEDA's `config/minimal` kustomization (CRDs, RBAC, the two Deployments,
  their Services, the `v1beta1.external.metrics.k8s.io` APIService; no admission webhooks),
  rendered by `kubectl kustomize` from the same module. Only what a node without a registry
  needs changes: our images, `imagePullPolicy: Never`, and smaller CPU requests (two cores
  for the whole cluster).
- The operator makes its own CA and certificates (`--enable-cert-rotation`, as KEDA ships),
  puts the CA into the APIService, and the API server's aggregation layer (front-proxy flags
  in tests/support/kube_apiserver.py) proxies the HPA controller's external-metrics reads to
  the metrics server.
"""

from __future__ import annotations

import importlib
import json
import subprocess
from typing import Any

from tests.support.keda_crds import module_dir, pinned_version
from tests.support.kube_cluster import KubeCluster
from tests.support.kube_images import scratch_image
from tests.support.kube_tools import ensure_tools, tool_path

# PyYAML ships no type hints (the delivery tests load it the same way).
_yaml: Any = importlib.import_module("yaml")

NAMESPACE = "keda"
OPERATOR = "keda-operator"
METRICS_SERVER = "keda-metrics-apiserver"
APISERVICE = "v1beta1.external.metrics.k8s.io"
# Container name in KEDA's manifests -> the binary they run (as /<binary>).
BINARIES = {OPERATOR: "keda", METRICS_SERVER: "keda-adapter"}
CPU_REQUEST = "20m"


class KedaError(RuntimeError):
    pass


def keda_images() -> dict[str, str]:
    """Container name -> image reference, built (cached) from the pinned binaries."""
    ensure_tools(tuple(BINARIES.values()))
    version = pinned_version()
    return {
        container: scratch_image(f"localhost/duka-{binary}:{version}", binary, tool_path(binary))
        for container, binary in BINARIES.items()
    }


def keda_manifests(images: dict[str, str]) -> list[dict[str, Any]]:
    """KEDA's config/minimal, rendered, with our images and requests."""
    config = module_dir() / "config" / "minimal"
    done = subprocess.run(
        [str(tool_path("kubectl")), "kustomize", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise KedaError(f"kubectl kustomize {config}: {done.stderr[-2000:]}")
    documents = [doc for doc in _yaml.safe_load_all(done.stdout) if doc]
    for doc in documents:
        if doc["kind"] == "Deployment":
            _local(doc, images)
    return documents


def _local(deployment: dict[str, Any], images: dict[str, str]) -> None:
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        if container["name"] not in images:
            raise KedaError(f"KEDA's manifests have an unknown container {container['name']}")
        container["image"] = images[container["name"]]
        container["imagePullPolicy"] = "Never"
        container.setdefault("resources", {}).setdefault("requests", {})["cpu"] = CPU_REQUEST


def install_keda(cluster: KubeCluster, *, timeout_s: float = 600) -> None:
    """Install KEDA and wait until the HPA controller can read external metrics."""
    images = keda_images()
    for ref in images.values():
        cluster.load_image(ref)
    manifests = {"apiVersion": "v1", "kind": "List", "items": keda_manifests(images)}
    # Server-side: KEDA's CRDs are too large for the last-applied annotation.
    cluster.kubectl(
        "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=json.dumps(manifests)
    )
    wait = f"--timeout={int(timeout_s)}s"
    for deployment in (OPERATOR, METRICS_SERVER):
        cluster.kubectl(
            "-n", NAMESPACE, "rollout", "status", f"deployment/{deployment}", wait,
            timeout_s=timeout_s + 30,
        )  # fmt: skip
    cluster.kubectl(
        "wait", "--for=condition=Available", f"apiservice/{APISERVICE}", wait,
        timeout_s=timeout_s + 30,
    )  # fmt: skip


def keda_logs(cluster: KubeCluster, tail: int = 60) -> str:
    """The last lines of both KEDA pods, for a failure message."""
    parts = []
    for deployment in (OPERATOR, METRICS_SERVER):
        done = cluster.kubectl(
            "-n", NAMESPACE, "logs", f"deployment/{deployment}", f"--tail={tail}", check=False
        )
        parts.append(f"--- {deployment}\n{done.stdout}{done.stderr}")
    return "\n".join(parts)
