"""The chart's alert rules with the real promtool: `check rules`, and `test rules` on the
unit tests in deploy/monitoring/tests, every alert covered (as `make lint` runs them)."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.integration.deploy.deploy_support import ROOT, go_tool
from tests.support.alert_rules import check_rules

ISSUE_ALERTS = {
    "DukaSmsFailureRatioHigh",
    "DukaSmsPendingTooLong",
    "DukaSmsDeliveryReportLag",
    "DukaSmsDeliveryReportsMissing",
    "DukaApi5xxRatioHigh",
    "DukaOidcKeyFetchFailing",
    "DukaOperatorResourceNotReady",
}


def test_promtool_checks_and_unit_tests_pass(helm: Path) -> None:
    problems = check_rules().check(go_tool("promtool"), helm)
    assert problems == []


def test_the_chart_ships_every_alert_the_operations_need(helm: Path) -> None:
    groups = check_rules().render_rule_groups(helm)
    assert check_rules().alert_names(groups) == ISSUE_ALERTS
    tests = sorted(check_rules().TESTS.glob("*.yaml"))
    assert check_rules().tested_alert_names(tests) >= ISSUE_ALERTS


def test_thresholds_come_from_the_values(helm: Path) -> None:
    alerts = {
        "smsFailure": {"ratio": 0.25},
        "smsPending": {"minutes": 3},
        "api5xx": {"window": "2m"},
        "labels": {"team": "sms"},
    }
    values = {"metrics": {"alerts": alerts, "prometheusRule": {"interval": "15s"}}}
    groups = check_rules().render_rule_groups(helm, values=values)
    (group,) = groups
    assert group["interval"] == "15s"
    rules = {r["alert"]: r for r in group["rules"]}
    assert rules["DukaSmsFailureRatioHigh"]["expr"].endswith("> 0.25")
    assert rules["DukaSmsPendingTooLong"]["expr"].endswith("> 180")
    assert "[2m]" in rules["DukaApi5xxRatioHigh"]["expr"]
    assert all(r["labels"]["team"] == "sms" for r in rules.values())


def test_a_broken_rule_fails_the_check(helm: Path, tmp_path: Path) -> None:
    module = check_rules()
    groups = module.render_rule_groups(helm)
    groups[0]["rules"][0]["expr"] = "sum(rate(duka_sms_sends_total[5m]) >"
    rules = module.write_rules(groups, tmp_path / "rules.yaml")
    done = subprocess.run(
        [str(go_tool("promtool")), "check", "rules", str(rules)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "FAILED" in done.stdout + done.stderr


def test_a_threshold_out_of_range_is_refused_by_the_schema(helm: Path) -> None:
    values = {"metrics": {"alerts": {"smsFailure": {"ratio": 1.5}}}}
    with pytest.raises(RuntimeError, match="smsFailure/ratio"):
        check_rules().render_rule_groups(helm, values=values)


def test_the_built_tools_report_the_pinned_prometheus_release() -> None:
    pin = tomllib.loads((ROOT / "deploy" / "tools" / "versions.toml").read_text())["prometheus"]
    minor, patch = pin.removeprefix("v0.").split(".")
    release = f"{int(minor) // 100}.{int(minor) % 100}.{patch}"  # v0.316.0 is 3.16.0
    for name in ("promtool", "prometheus"):
        done = subprocess.run(
            [str(go_tool(name)), "--version"], capture_output=True, text=True, check=True
        )
        assert f"{name}, version {release} " in done.stdout


def test_an_alert_without_a_unit_test_fails_the_check(
    helm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = check_rules()
    (tmp_path / "sms.yaml").write_text((module.TESTS / "sms.yaml").read_text())
    monkeypatch.setattr(module, "TESTS", tmp_path)
    (problem,) = module.check(go_tool("promtool"), helm)
    assert problem == (
        "alerts without a promtool unit test: DukaApi5xxRatioHigh, DukaOidcKeyFetchFailing, "
        "DukaOperatorResourceNotReady"
    )
