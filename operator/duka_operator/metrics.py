"""The operator's Prometheus metrics (docs/operations.md, "Operator"), on a port of its own.

kopf runs as one process (--standalone, one replica), so prometheus_client's default
registry is the whole picture: no multiprocess mode here.

- reconciles are counted where a handler decides the resource's phase (the handlers'
  success paths and failures.fail);
- the resources not Ready come from what the cluster says: every watch event carries the
  resource's status.phase (the operator's own status patches included), so the gauge is
  the phases the operator last saw, and a deleted resource leaves it;
- drift corrections are the fields a check found changed in Keycloak and put back.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Mapping
from typing import Any

import kopf
from prometheus_client import Counter, Gauge, start_http_server

from duka_operator.resources import DATABASE_CONFIGS, GROUP, KEYCLOAK_CLIENTS, VERSION
from duka_operator.settings import get_operator_settings

log = logging.getLogger(__name__)

PHASES = ("Ready", "Progressing", "Degraded", "Failed")
KINDS = ("DatabaseConfig", "KeycloakClient")
NOT_READY_PHASES = ("Progressing", "Degraded", "Failed", "Unknown")

RECONCILES = Counter(
    "duka_operator_reconciles",
    "Reconciles that ended, by resource kind and outcome (the phase they left: Ready, "
    "Progressing, Degraded, Failed).",
    ["kind", "outcome"],
)
NOT_READY = Gauge(
    "duka_operator_resources_not_ready",
    "Resources of this operator whose status.phase is not Ready (Unknown: none yet).",
    ["kind", "phase"],
)
DRIFT_CORRECTIONS = Counter(
    "duka_operator_drift_corrections",
    "Fields found changed outside the operator (in Keycloak) and put back, by kind.",
    ["kind"],
)

# (kind, namespace, name) -> the phase last seen on a watch event.
_phases: dict[tuple[str, str, str], str] = {}

for _kind in KINDS:
    # Zero series from the start: an alert on `> 0` and a dashboard see 0, not "no data".
    for _outcome in PHASES:
        RECONCILES.labels(_kind, _outcome)
    for _phase in NOT_READY_PHASES:
        NOT_READY.labels(_kind, _phase).set(0)
    DRIFT_CORRECTIONS.labels(_kind)


def reconciled(body: Mapping[str, Any], outcome: str) -> None:
    RECONCILES.labels(str(body.get("kind", "Unknown")), outcome).inc()


def drift_corrected(kind: str, fields: list[str]) -> None:
    if fields:
        DRIFT_CORRECTIONS.labels(kind).inc(len(fields))


def phase_seen(kind: str, namespace: str, name: str, phase: str | None, deleted: bool) -> None:
    """Record one watch event's phase (or the resource's deletion) and refresh the gauge."""
    key = (kind, namespace, name)
    if deleted:
        _phases.pop(key, None)
    else:
        _phases[key] = phase if phase in PHASES else "Unknown"
    counts = Tally((k, p) for (k, _, _), p in _phases.items() if p != "Ready")
    for kind_ in KINDS:
        for phase_ in NOT_READY_PHASES:
            NOT_READY.labels(kind_, phase_).set(counts.get((kind_, phase_), 0))


def _watch(plural: str, kind: str) -> None:
    @kopf.on.event(GROUP, VERSION, plural)
    async def seen(event: kopf.RawEvent, body: kopf.Body, **_: Any) -> None:
        meta = body.metadata
        phase = body.status.get("phase")
        deleted = event.get("type") == "DELETED"
        phase_seen(kind, str(meta.namespace), str(meta.name), phase, deleted)


_watch(DATABASE_CONFIGS, "DatabaseConfig")
_watch(KEYCLOAK_CLIENTS, "KeycloakClient")


@kopf.on.startup()
async def serve_metrics(memo: kopf.Memo, **_: Any) -> None:
    """The metrics port, when enabled (DUKA_OPERATOR_METRICS_ENABLED): never the health port."""
    settings = get_operator_settings()
    if not settings.metrics_enabled:
        return
    server, _thread = start_http_server(settings.metrics_port, addr=settings.metrics_host)
    memo["metrics_server"] = server
    log.info("metrics on http://%s:%d/metrics", settings.metrics_host, server.server_port)


@kopf.on.cleanup()
async def stop_metrics(memo: kopf.Memo, **_: Any) -> None:
    server = memo.get("metrics_server")
    if server is not None:
        server.shutdown()
        server.server_close()
