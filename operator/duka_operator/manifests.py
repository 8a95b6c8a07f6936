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
MANAGED_LABELS = {"app.kubernetes.io/managed-by": "duka-operator"}


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


def rollout_patch(digest: str) -> dict[str, Any]:
    """A pod-template annotation change: the Deployment rolls its pods onto the new Secret."""
    return {"spec": {"template": {"metadata": {"annotations": {CHECKSUM_ANNOTATION: digest}}}}}


def decode_secret_value(secret_data: Mapping[str, str] | None, key: str) -> str | None:
    if not secret_data or key not in secret_data:
        return None
    return base64.b64decode(secret_data[key]).decode()
