"""Operator-wide startup: logging in to the Kubernetes API and kopf's settings."""

from __future__ import annotations

import logging
import os
from typing import Any

import kopf

from duka.core.logs import configure_logging
from duka.core.settings import get_settings
from duka_operator import kube

FINALIZER = "duka.dev/finalizer"


@kopf.on.login()
async def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    # kubernetes_asyncio fixes its default kubeconfig path when imported; kopf's own reader
    # looks at KUBECONFIG when called, which is what tests and shells expect.
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return await kopf.login_via_async_client(**kwargs)
    return kopf.login_with_kubeconfig(**kwargs)


def apply_settings(settings: kopf.OperatorSettings) -> None:
    settings.persistence.finalizer = FINALIZER
    # A drift check still waiting on Keycloak when its resource is deleted keeps the finalizer
    # until kopf looks at the timer again: 60 s by default, which stalls every such deletion.
    settings.background.cancellation_polling = 2.0


def use_duka_log_format() -> None:
    """kopf's lines in Duka's format (DUKA_LOG_FORMAT: JSON in production), at the level
    kopf's command line chose (--verbose, --quiet); its object fields come along."""
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    configure_logging(get_settings().log_format_effective, str(level), "operator")


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    use_duka_log_format()
    apply_settings(settings)
    await kube.load_config()
