"""The few Kubernetes API calls the handlers make (kopf itself handles the custom resources)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from duka_operator.errors import RefusedError, WaitingError
from duka_operator.manifests import (
    CHECKSUM_ANNOTATION,
    READABLE_LABEL,
    consumes_secret,
    is_readable,
    may_overwrite,
    rollout_complete,
    rollout_patch,
)


class SecretOwnedElsewhereError(RefusedError):
    reason = "SecretOwnedElsewhere"


async def load_config() -> None:
    """In-cluster credentials in a pod, else the kubeconfig (KUBECONFIG or ~/.kube/config)."""
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    else:
        # Read now, not at kubernetes_asyncio's import: tests and shells set it late.
        await config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))


async def _get_secret(api: client.ApiClient, namespace: str, name: str) -> dict[str, Any] | None:
    """The Secret as the API serves it (camelCase keys), or None if there is none."""
    try:
        secret = await client.CoreV1Api(api).read_namespaced_secret(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    found: dict[str, Any] = api.sanitize_for_serialization(secret)
    return found


async def read_secret_data(namespace: str, name: str) -> dict[str, str] | None:
    """A Secret's data, only if it opted in with the readable label (None if it is absent)."""
    async with client.ApiClient() as api:
        secret = await _get_secret(api, namespace, name)
    if secret is None:
        return None
    if not is_readable(secret.get("metadata") or {}):
        raise WaitingError(
            f"Secret {name} is not labelled {READABLE_LABEL}=true: the operator reads only "
            "Secrets that opt in",
            reason="SecretNotReadable",
            delay_s=30,
        )
    return dict(secret.get("data") or {})


async def write_secret(manifest: Mapping[str, Any], owner_uid: str) -> bool:
    """Create the Secret, or update one that is already this resource's; True if anything
    changed. An existing Secret someone else owns is never touched."""
    namespace = manifest["metadata"]["namespace"]
    name = manifest["metadata"]["name"]
    async with client.ApiClient() as api:
        core = client.CoreV1Api(api)
        existing = await _get_secret(api, namespace, name)
        if existing is None:
            # The client serialises a plain dict body as it is. A Secret created meanwhile
            # answers 409: retried, then checked like any existing one.
            await core.create_namespaced_secret(namespace, dict(manifest))  # type: ignore[arg-type]
            return True
        metadata = existing.get("metadata") or {}
        if not may_overwrite(metadata, owner_uid):
            raise SecretOwnedElsewhereError(
                f"Secret {name} exists and is not this resource's (no owner reference to it, "
                "no managed-by label): the operator never overwrites it"
            )
        owned = any(r.get("uid") == owner_uid for r in metadata.get("ownerReferences") or [])
        if owned and existing.get("data") == manifest["data"]:
            return False
        await core.patch_namespaced_secret(name, namespace, dict(manifest))
        return True


async def roll_consumers(
    namespace: str,
    label: tuple[str, str],
    secret_name: str,
    digest: str,
    annotation: str = CHECKSUM_ANNOTATION,
) -> list[str]:
    """Patch the pod template of the Deployments that consume the Secret: labelled
    `label[0]=label[1]`, or reading `secret_name` in their pod template."""
    rolled = []
    async with client.ApiClient() as api:
        apps = client.AppsV1Api(api)
        found = await apps.list_namespaced_deployment(namespace)
        for deployment in found.items:
            body: dict[str, Any] = api.sanitize_for_serialization(deployment)
            labels = body["metadata"].get("labels") or {}
            pod_spec = body["spec"]["template"].get("spec") or {}
            if labels.get(label[0]) != label[1] and not consumes_secret(pod_spec, secret_name):
                continue
            name = str(body["metadata"]["name"])
            await apps.patch_namespaced_deployment(
                name, namespace, rollout_patch(digest, annotation)
            )
            rolled.append(name)
    return rolled


async def unfinished_rollouts(namespace: str, names: list[str]) -> list[str]:
    """Of these Deployments, those whose pods are not all on the latest template yet (a
    Deployment deleted meanwhile has no old pods left either)."""
    pending = []
    async with client.ApiClient() as api:
        apps = client.AppsV1Api(api)
        for name in names:
            try:
                deployment = await apps.read_namespaced_deployment(name, namespace)
            except ApiException as exc:
                if exc.status == 404:
                    continue
                raise
            if not rollout_complete(api.sanitize_for_serialization(deployment)):
                pending.append(name)
    return pending
