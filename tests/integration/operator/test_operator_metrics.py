"""The operator's metrics port, with the operator (in-process) against the real
kube-apiserver and Keycloak: a rejected KeycloakClient shows as a Failed reconcile and as a
resource not Ready, then leaves the gauge when it is deleted."""

from __future__ import annotations

import httpx
import pytest
from kopf.testing import KopfRunner
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.operator.conftest import API, wait_for
from tests.integration.operator.keycloak_client_support import apply_client, get_resource
from tests.support.kube_apiserver import KubeApiServer
from tests.support.kube_process import free_port


@pytest.fixture
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> str:
    """Set before the `operator` fixture starts kopf (it clears the cached settings)."""
    port = free_port()
    monkeypatch.setenv("DUKA_OPERATOR_METRICS_ENABLED", "true")
    monkeypatch.setenv("DUKA_OPERATOR_METRICS_PORT", str(port))
    return f"http://127.0.0.1:{port}/metrics"


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(url, timeout=5).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(url: str, name: str, **labels: str) -> float:
    return scrape(url).get((name, frozenset(labels.items())), -1.0)


def test_a_failed_resource_is_counted_and_shown_not_ready_until_deleted(
    metrics_on: str, operator: KopfRunner, crds: KubeApiServer, namespace: str
) -> None:
    url = metrics_on
    failed = {"kind": "KeycloakClient", "phase": "Failed"}
    outcome = {"kind": "KeycloakClient", "outcome": "Failed"}
    not_ready = wait_for(
        lambda: (v := value(url, "duka_operator_resources_not_ready", **failed)) >= 0 and [v],
        "the metrics port",
    )[0]
    reconciles = value(url, "duka_operator_reconciles_total", **outcome)

    apply_client(crds, namespace, "wrong-realm", {"realm": "master", "clientId": "x"})
    wait_for(
        lambda: value(url, "duka_operator_resources_not_ready", **failed) == not_ready + 1,
        "the Failed resource in the gauge",
    )
    assert value(url, "duka_operator_reconciles_total", **outcome) >= reconciles + 1

    crds.http.delete(f"{API}/{namespace}/keycloakclients/wrong-realm").raise_for_status()
    wait_for(lambda: get_resource(crds, namespace, "wrong-realm") is None, "its deletion")
    wait_for(
        lambda: value(url, "duka_operator_resources_not_ready", **failed) == not_ready,
        "the deleted resource to leave the gauge",
    )
