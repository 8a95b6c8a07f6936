"""Operator-wide startup: logging in to the Kubernetes API and kopf's settings."""

from __future__ import annotations

import os
from typing import Any

import kopf

from duka_operator import kube

FINALIZER = "duka.dev/finalizer"


@kopf.on.login()
async def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    # kubernetes_asyncio fixes its default kubeconfig path when imported; kopf's own reader
    # looks at KUBECONFIG when called, which is what tests and shells expect.
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return await kopf.login_via_async_client(**kwargs)
    return kopf.login_with_kubeconfig(**kwargs)


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    await kube.load_config()
