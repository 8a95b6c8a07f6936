"""The runner's metrics: what one send records."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from duka.notifications.billing import billing_of
from duka.notifications.sms.gateway import SendOutcome, SendResult
from flows import metrics


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_an_accepted_send_counts_its_outcome_segments_and_cost() -> None:
    sends = sample("duka_sms_sends_total", {"outcome": "accepted", "at_status": "Success"})
    segments = sample("duka_sms_segments_count")
    two_segments = sample("duka_sms_segments_bucket", {"le": "2.0"}) - sample(
        "duka_sms_segments_bucket", {"le": "1.0"}
    )
    cost = sample("duka_sms_cost_total", {"currency": "KES"})
    result = SendResult(SendOutcome.ACCEPTED, "Success", provider_message_id="m", cost="KES 0.8")
    metrics.send_ended(result, billing_of("x" * 200, result.cost))  # GSM-7, two segments
    assert sample("duka_sms_sends_total", {"outcome": "accepted", "at_status": "Success"}) == (
        sends + 1
    )
    assert sample("duka_sms_segments_count") == segments + 1
    assert sample("duka_sms_segments_bucket", {"le": "2.0"}) - sample(
        "duka_sms_segments_bucket", {"le": "1.0"}
    ) == pytest.approx(two_segments + 1)
    assert sample("duka_sms_cost_total", {"currency": "KES"}) == pytest.approx(cost + 0.8)


def test_a_failed_send_counts_only_its_outcome() -> None:
    segments = sample("duka_sms_segments_count")
    before = sample(
        "duka_sms_sends_total", {"outcome": "permanent", "at_status": "InvalidPhoneNumber"}
    )
    metrics.send_ended(SendResult(SendOutcome.PERMANENT, "InvalidPhoneNumber"), None)
    assert (
        sample("duka_sms_sends_total", {"outcome": "permanent", "at_status": "InvalidPhoneNumber"})
        == before + 1
    )
    assert sample("duka_sms_segments_count") == segments
