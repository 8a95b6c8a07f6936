"""The operator's metrics: reconciles by kind and outcome, the resources not Ready as the
watch events last showed them, drift corrections."""

from __future__ import annotations

from prometheus_client import REGISTRY

from duka_operator import metrics


def sample(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    assert value is not None, f"{name}{labels} is not exported"
    return value


def not_ready(kind: str, phase: str) -> float:
    return sample("duka_operator_resources_not_ready", kind=kind, phase=phase)


def test_every_series_exists_before_anything_happens() -> None:
    for kind in metrics.KINDS:
        for phase in metrics.NOT_READY_PHASES:
            not_ready(kind, phase)
        for outcome in metrics.PHASES:
            sample("duka_operator_reconciles_total", kind=kind, outcome=outcome)
        sample("duka_operator_drift_corrections_total", kind=kind)


def test_not_ready_follows_each_resource_until_it_is_ready_or_deleted() -> None:
    kind = "KeycloakClient"
    metrics.phase_seen(kind, "ns", "a", "Degraded", deleted=False)
    metrics.phase_seen(kind, "ns", "b", "Degraded", deleted=False)
    metrics.phase_seen(kind, "ns", "c", None, deleted=False)  # no status yet
    metrics.phase_seen("DatabaseConfig", "ns", "a", "Failed", deleted=False)
    assert not_ready(kind, "Degraded") == 2
    assert not_ready(kind, "Unknown") == 1
    assert not_ready("DatabaseConfig", "Failed") == 1
    metrics.phase_seen(kind, "ns", "a", "Ready", deleted=False)
    metrics.phase_seen(kind, "ns", "b", "Degraded", deleted=True)
    metrics.phase_seen(kind, "ns", "c", "Progressing", deleted=False)
    metrics.phase_seen("DatabaseConfig", "ns", "a", "Failed", deleted=True)
    assert not_ready(kind, "Degraded") == 0
    assert not_ready(kind, "Unknown") == 0
    assert not_ready(kind, "Progressing") == 1
    assert not_ready("DatabaseConfig", "Failed") == 0
    metrics.phase_seen(kind, "ns", "c", "Ready", deleted=True)


def test_reconciles_count_by_the_body_kind_and_outcome() -> None:
    before = sample("duka_operator_reconciles_total", kind="DatabaseConfig", outcome="Degraded")
    metrics.reconciled({"kind": "DatabaseConfig"}, "Degraded")
    after = sample("duka_operator_reconciles_total", kind="DatabaseConfig", outcome="Degraded")
    assert after == before + 1


def test_drift_corrections_count_the_fields_put_back() -> None:
    before = sample("duka_operator_drift_corrections_total", kind="KeycloakClient")
    metrics.drift_corrected("KeycloakClient", [])
    metrics.drift_corrected("KeycloakClient", ["redirectUris", "enabled"])
    after = sample("duka_operator_drift_corrections_total", kind="KeycloakClient")
    assert after == before + 2
