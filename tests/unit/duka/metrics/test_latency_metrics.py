"""How long customers wait: the two latency histograms take what the statements measured."""

from __future__ import annotations

from prometheus_client import REGISTRY

from duka.notifications.outbox.latency import accepted_after, reported_after


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_acceptance_delays_land_in_their_buckets() -> None:
    count = sample("duka_sms_acceptance_delay_seconds_count")
    under_1s = sample("duka_sms_acceptance_delay_seconds_bucket", le="1.0")
    total = sample("duka_sms_acceptance_delay_seconds_sum")
    accepted_after([0.3, 42.0, None])
    assert sample("duka_sms_acceptance_delay_seconds_count") == count + 2  # None: not known
    assert sample("duka_sms_acceptance_delay_seconds_bucket", le="1.0") == under_1s + 1
    assert sample("duka_sms_acceptance_delay_seconds_sum") == total + 42.3


def test_a_clock_that_went_backwards_counts_as_no_wait() -> None:
    total = sample("duka_sms_acceptance_delay_seconds_sum")
    zero = sample("duka_sms_acceptance_delay_seconds_bucket", le="0.05")
    accepted_after([-0.2])
    assert sample("duka_sms_acceptance_delay_seconds_sum") == total
    assert sample("duka_sms_acceptance_delay_seconds_bucket", le="0.05") == zero + 1


def test_report_delays_are_split_by_result() -> None:
    name = "duka_sms_delivery_report_delay_seconds_count"
    delivered = sample(name, result="delivered")
    failed = sample(name, result="not_delivered")
    reported_after(12.5, delivered=True)
    reported_after(7200.0, delivered=False)
    reported_after(None, delivered=True)
    assert sample(name, result="delivered") == delivered + 1
    assert sample(name, result="not_delivered") == failed + 1
    slow = sample(
        "duka_sms_delivery_report_delay_seconds_bucket", result="not_delivered", le="3600.0"
    )
    everything = sample(
        "duka_sms_delivery_report_delay_seconds_bucket", result="not_delivered", le="+Inf"
    )
    assert everything - slow >= 1  # the two-hour report is above the one-hour bucket
