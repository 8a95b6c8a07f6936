"""The chart's monitoring objects: the operator's metrics port, the ServiceMonitor, the
PrometheusRule and the Grafana dashboard (off by default; examples/with-operator.yaml turns
them on, so helm lint, kubeconform and the server dry-run cover them too)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from tests.integration.deploy.deploy_support import ROOT, Manifest, Rendered
from tests.integration.deploy.test_chart import pod_spec

MONITORING_KINDS = {"ServiceMonitor", "PrometheusRule"}
EXAMPLE = "with-operator"


def metrics_services(rendered: Rendered) -> list[Manifest]:
    return [
        d
        for d in rendered.documents
        if d["kind"] == "Service" and d["metadata"]["name"].endswith("-metrics")
    ]


def test_monitoring_objects_are_off_by_default(render: Callable[[str], Rendered]) -> None:
    rendered = render("default")
    assert not rendered.kinds() & MONITORING_KINDS
    assert not any(d["metadata"]["name"].endswith("-dashboard") for d in rendered.documents)


def test_the_operator_serves_metrics_on_its_own_port(render: Callable[[str], Rendered]) -> None:
    rendered = render(EXAMPLE)
    container = pod_spec(rendered.find("Deployment", "-operator"))["containers"][0]
    assert {"name": "metrics", "containerPort": 9466, "protocol": "TCP"} in container["ports"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["DUKA_OPERATOR_METRICS_ENABLED"] == "true"
    assert env["DUKA_OPERATOR_METRICS_HOST"] == "0.0.0.0"
    assert env["DUKA_OPERATOR_METRICS_PORT"] == "9466"
    service = rendered.find("Service", "-operator-metrics")
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 9466, "targetPort": "metrics", "protocol": "TCP"}
    ]
    scrape = rendered.find("NetworkPolicy", "-metrics")
    (selector,) = scrape["spec"]["podSelector"]["matchExpressions"]
    assert selector["values"] == ["api", "flows", "operator"]


def test_the_service_monitor_selects_the_metrics_services_only(
    render: Callable[[str], Rendered],
) -> None:
    rendered = render(EXAMPLE)
    monitor = rendered.find("ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    wanted = monitor["spec"]["selector"]["matchLabels"]
    selected = {
        d["metadata"]["name"]
        for d in rendered.documents
        if d["kind"] == "Service" and wanted.items() <= d["metadata"]["labels"].items()
    }
    assert selected == {"duka-api-metrics", "duka-flows-metrics", "duka-operator-metrics"}
    assert selected == {d["metadata"]["name"] for d in metrics_services(rendered)}
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["duka"]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics"
    assert all(
        [p["name"] for p in d["spec"]["ports"]] == ["metrics"] for d in metrics_services(rendered)
    )


def test_the_rule_carries_its_labels_and_every_alert_a_runbook(
    render: Callable[[str], Rendered],
) -> None:
    rule = render(EXAMPLE).find("PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    (group,) = rule["spec"]["groups"]
    assert "interval" not in group  # Prometheus' own evaluation interval by default
    for alert in group["rules"]:
        assert alert["labels"]["severity"] in {"warning", "critical"}
        assert alert["annotations"]["runbook"] == "docs/operations.md#alerts"
        assert "{{ $labels.namespace }}" in alert["annotations"]["summary"]


def test_the_dashboard_answers_the_four_questions(render: Callable[[str], Rendered]) -> None:
    config_map = render(EXAMPLE).find("ConfigMap", "-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "Duka"}
    dashboard = json.loads(config_map["data"]["duka.json"])
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert rows == [
        "Are SMS going out?",
        "How long do customers wait?",
        "What do they cost?",
        "What is failing?",
    ]
    exprs = " ".join(
        t["expr"] for p in dashboard["panels"] if p["type"] != "row" for t in p["targets"]
    )
    used = set(re.findall(r"\bduka_[a-z_]+", exprs))
    assert {
        "duka_sms_sends_total",
        "duka_sms_outbox_depth",
        "duka_sms_oldest_pending_age_seconds",
        "duka_sms_acceptance_delay_seconds_bucket",
        "duka_sms_delivery_report_delay_seconds_bucket",
        "duka_sms_cost_total",
        "duka_http_requests_total",
        "duka_oidc_key_fetches_total",
        "duka_operator_resources_not_ready",
    } <= used
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def documented_metrics() -> set[str]:
    """The metric names docs/operations.md's tables list (counters with `_total`)."""
    text = (ROOT / "docs" / "operations.md").read_text()
    return set(re.findall(r"^\| `(duka_[a-z_]+)`", text, re.MULTILINE))


def test_the_dashboard_and_the_alerts_use_only_documented_metrics(
    render: Callable[[str], Rendered],
) -> None:
    rendered = render(EXAMPLE)
    dashboard = rendered.find("ConfigMap", "-dashboard")["data"]["duka.json"]
    rules = json.dumps(rendered.find("PrometheusRule")["spec"])
    used = set(re.findall(r"\bduka_[a-z_]+", dashboard + rules))
    series = re.compile(r"_(bucket|sum|count)$")
    documented = documented_metrics()
    assert "duka_sms_cost_total" in documented
    unknown = {name for name in used if series.sub("", name) not in documented}
    assert unknown == set()
