"""Secret manifests the operator writes, their checksum, and the rollout patch."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

ROTATE_ANNOTATION = "duka.dev/rotate-credentials"
CHECKSUM_ANNOTATION = "duka.dev/database-config-checksum"
CONSUMER_LABEL = "duka.dev/database-config"
# The KeycloakClient counterparts: its consumers roll when its credentials change.
CREDENTIALS_CHECKSUM_ANNOTATION = "duka.dev/keycloak-client-checksum"
CREDENTIALS_CONSUMER_LABEL = "duka.dev/keycloak-client"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_LABELS = {MANAGED_BY_LABEL: "duka-operator"}
# The operator reads a Secret only when it carries this label: RBAC cannot limit `get` to
# some Secrets, so the opt-in is checked in code (docs/operator.md, RBAC).
READABLE_LABEL = "duka.dev/readable-by-operator"


def owner_reference(body: Mapping[str, Any]) -> dict[str, Any]:
    """Makes the Secret go when its custom resource goes (Kubernetes' garbage collector)."""
    return {
        "apiVersion": body["apiVersion"],
        "kind": body["kind"],
        "name": body["metadata"]["name"],
        "uid": body["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def secret_manifest(
    name: str, namespace: str, data: Mapping[str, str], owner: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(MANAGED_LABELS),
            "ownerReferences": [owner_reference(owner)],
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in sorted(data.items())},
    }


def credentials_data(
    client_id: str, client_secret: str, issuer: str, token_endpoint: str
) -> dict[str, str]:
    """Keys a consumer reads: both the chart's names and DUKA_ environment names."""
    return {
        "client-id": client_id,
        "client-secret": client_secret,
        "issuer": issuer,
        "token-endpoint": token_endpoint,
        "DUKA_OIDC_ISSUER": issuer,
    }


def checksum(data: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(data), sort_keys=True).encode()).hexdigest()


def rollout_patch(digest: str, annotation: str = CHECKSUM_ANNOTATION) -> dict[str, Any]:
    """A pod-template annotation change: the Deployment rolls its pods onto the new Secret."""
    return {"spec": {"template": {"metadata": {"annotations": {annotation: digest}}}}}


def decode_secret_value(secret_data: Mapping[str, str] | None, key: str) -> str | None:
    if not secret_data or key not in secret_data:
        return None
    return base64.b64decode(secret_data[key]).decode()


def may_overwrite(existing_metadata: Mapping[str, Any], owner_uid: str) -> bool:
    """Whether an existing Secret is the operator's to write for the resource `owner_uid`:
    it names that resource as an owner, or carries the managed-by label with no other
    controller (a Secret prepared for the operator). Anything else is someone else's."""
    refs = existing_metadata.get("ownerReferences") or []
    if any(ref.get("uid") == owner_uid for ref in refs):
        return True
    labels = existing_metadata.get("labels") or {}
    controlled = any(ref.get("controller") for ref in refs)
    return labels.get(MANAGED_BY_LABEL) == MANAGED_LABELS[MANAGED_BY_LABEL] and not controlled


def is_readable(existing_metadata: Mapping[str, Any]) -> bool:
    return (existing_metadata.get("labels") or {}).get(READABLE_LABEL) == "true"


def consumes_secret(pod_spec: Mapping[str, Any], secret_name: str) -> bool:
    """Whether a pod spec reads the Secret: env, envFrom, or a (projected) volume."""
    containers = [*(pod_spec.get("initContainers") or []), *(pod_spec.get("containers") or [])]
    for container in containers:
        for env in container.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("secretKeyRef") or {}
            if ref.get("name") == secret_name:
                return True
        for source in container.get("envFrom") or []:
            if (source.get("secretRef") or {}).get("name") == secret_name:
                return True
    for volume in pod_spec.get("volumes") or []:
        if (volume.get("secret") or {}).get("secretName") == secret_name:
            return True
        for source in (volume.get("projected") or {}).get("sources") or []:
            if (source.get("secret") or {}).get("name") == secret_name:
                return True
    return False


def rollout_complete(deployment: Mapping[str, Any]) -> bool:
    """As `kubectl rollout status` decides: the controller saw the latest template, and every
    wanted replica is updated and available (no old pod holds the previous secret)."""
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    generation = (deployment.get("metadata") or {}).get("generation", 0)
    wanted = int(spec.get("replicas", 1))
    return (
        int(status.get("observedGeneration", 0)) >= int(generation)
        and int(status.get("updatedReplicas", 0)) >= wanted
        and int(status.get("availableReplicas", 0)) >= wanted
        and int(status.get("replicas", 0)) <= wanted
    )
