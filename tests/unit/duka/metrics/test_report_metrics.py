"""Delivery reports are counted by a bounded set of status labels."""

from __future__ import annotations

from prometheus_client import REGISTRY

from duka.webhooks.metrics import report_received


def count(status: str, result: str) -> float:
    labels = {"status": status, "result": result}
    return REGISTRY.get_sample_value("duka_sms_delivery_reports_total", labels) or 0.0


def test_known_statuses_keep_their_name_and_others_share_one() -> None:
    success, other = count("Success", "applied"), count("other", "recorded")
    report_received("Success", "applied")
    report_received("SomethingNew", "recorded")
    report_received("AnotherOne", "recorded")
    assert count("Success", "applied") == success + 1
    assert count("other", "recorded") == other + 2
    assert count("SomethingNew", "recorded") == 0
