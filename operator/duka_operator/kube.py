"""The few Kubernetes API calls the handlers make (kopf itself handles the custom resources)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from duka_operator.manifests import CONSUMER_LABEL, rollout_patch


async def load_config() -> None:
    """In-cluster credentials in a pod, else the kubeconfig (KUBECONFIG or ~/.kube/config)."""
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    else:
        # Read now, not at kubernetes_asyncio's import: tests and shells set it late.
        await config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))


async def read_secret_data(namespace: str, name: str) -> dict[str, str] | None:
    async with client.ApiClient() as api:
        try:
            secret = await client.CoreV1Api(api).read_namespaced_secret(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return dict(secret.data or {})


async def apply_secret(manifest: Mapping[str, Any]) -> None:
    """Create, or replace the data and labels of, an existing Secret."""
    namespace = manifest["metadata"]["namespace"]
    name = manifest["metadata"]["name"]
    async with client.ApiClient() as api:
        core = client.CoreV1Api(api)
        try:
            # The client serialises a plain dict body as it is.
            await core.create_namespaced_secret(namespace, dict(manifest))  # type: ignore[arg-type]
        except ApiException as exc:
            if exc.status != 409:
                raise
            await core.patch_namespaced_secret(name, namespace, dict(manifest))


async def roll_consumers(namespace: str, config_name: str, digest: str) -> list[str]:
    """Patch the pod template of Deployments labelled duka.dev/database-config=<name>."""
    rolled = []
    async with client.ApiClient() as api:
        apps = client.AppsV1Api(api)
        found = await apps.list_namespaced_deployment(
            namespace, label_selector=f"{CONSUMER_LABEL}={config_name}"
        )
        for deployment in found.items:
            await apps.patch_namespaced_deployment(
                deployment.metadata.name, namespace, rollout_patch(digest)
            )
            rolled.append(str(deployment.metadata.name))
    return rolled
