"""Which failures are worth retrying: outages are temporary, bad requests are not."""

from __future__ import annotations

from typing import Literal

import httpx
from keycloak.exceptions import KeycloakConnectionError, KeycloakError

Kind = Literal["temporary", "permanent"]


class RefusedError(Exception):
    """A request the operator will not carry out until the spec (or the cluster) changes:
    the resource turns Failed with `reason`."""

    reason = "Refused"


class WaitingError(Exception):
    """Something the resource needs is not there yet: Degraded with `reason`, retried."""

    def __init__(
        self, message: str, reason: str = "Waiting", delay_s: float = 10, phase: str = "Degraded"
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.delay_s = delay_s
        self.phase = phase


# 401/403: credentials or grants an administrator can fix without touching the spec;
# 404 mid-reconcile: a concurrent deletion; 409: a concurrent creation. All settle on retry.
_RETRYABLE_STATUSES = frozenset({401, 403, 404, 408, 409, 425, 429})


def classify(exc: BaseException) -> Kind:
    if isinstance(exc, RefusedError):
        return "permanent"
    if isinstance(exc, KeycloakConnectionError | httpx.TransportError | OSError | TimeoutError):
        return "temporary"
    if isinstance(exc, KeycloakError):
        code = exc.response_code
        if code is None or code >= 500 or code in _RETRYABLE_STATUSES:
            return "temporary"
        return "permanent"
    status = getattr(exc, "status", None)  # kubernetes_asyncio's ApiException
    if isinstance(status, int):
        return "temporary" if status >= 500 or status in _RETRYABLE_STATUSES else "permanent"
    return "temporary"


def describe(exc: BaseException) -> str:
    """A one-line message for a status condition (never a response body with secrets)."""
    if isinstance(exc, RefusedError | WaitingError):
        return str(exc)
    if isinstance(exc, KeycloakError):
        code = exc.response_code
        return (
            f"Keycloak answered {code}" if code else f"Keycloak unreachable: {type(exc).__name__}"
        )
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return f"Kubernetes API answered {status}: {getattr(exc, 'reason', '')}".strip()
    return f"{type(exc).__name__}: {exc}"[:300]


def refused_deletion(exc: BaseException) -> bool:
    """A deletion Keycloak or the API server refuses (401/403, or any permanent answer):
    retrying at the outage pace will not help until someone changes grants or the spec."""
    code = exc.response_code if isinstance(exc, KeycloakError) else getattr(exc, "status", None)
    return code in (401, 403) or classify(exc) == "permanent"
