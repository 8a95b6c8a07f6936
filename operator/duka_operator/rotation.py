"""Where a credentials rotation stands, from the annotation and the status (pure).

A rotation runs in steps across reconciles: Keycloak issues a new secret while keeping the
old one valid (its client-secret rotation policy), the Secret is rewritten and its consumers
roll, and only once every rollout has finished is the old secret revoked and the request
recorded in status.rotatedFor. A reconcile that did not finish those steps records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Step = Literal["none", "start", "continue"]
# Set by Keycloak's secret-rotation executor on the clients its client policy covers: only
# those keep their previous secret valid for a grace period after a rotation.
EXPIRATION_ATTRIBUTE = "client.secret.expiration.time"


def rotation_has_grace(client: Mapping[str, Any]) -> bool:
    return bool((client.get("attributes") or {}).get(EXPIRATION_ATTRIBUTE))


def rotation_step(requested: str | None, status: Mapping[str, Any]) -> Step:
    """ "start" a new rotation, "continue" the one in progress, or "none" to do."""
    if requested is None or requested == status.get("rotatedFor"):
        return "none"
    if (status.get("rotation") or {}).get("for") == requested:
        return "continue"
    return "start"


def in_progress(requested: str, rolled: list[str]) -> dict[str, Any]:
    """status.rotation while consumers roll onto the new secret."""
    return {"for": requested, "phase": "RollingOut", "deployments": sorted(rolled)}
