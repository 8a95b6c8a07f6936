from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from devtools.at_sandbox.faults import FaultConfig, FaultInjector, ReportOverride


def _roll(config: FaultConfig, n: int = 400) -> list[str | None]:
    injector = FaultInjector(config)
    return [injector.request_fault() for _ in range(n)]


def test_no_faults_by_default() -> None:
    injector = FaultInjector(FaultConfig())
    assert [injector.request_fault() for _ in range(50)] == [None] * 50
    assert injector.recipient_status("+254711000001") is None


def test_the_same_seed_gives_the_same_faults_and_another_seed_others() -> None:
    config = FaultConfig(seed=7, error_rate=0.2, timeout_rate=0.1, disconnect_rate=0.1)
    assert _roll(config) == _roll(config)
    assert _roll(config) != _roll(config.model_copy(update={"seed": 8}))


def test_rates_are_honoured_over_many_requests() -> None:
    rates = {
        "error": 0.2,
        "timeout": 0.1,
        "disconnect": 0.05,
        "bad_gateway": 0.1,
        "gateway_timeout": 0.05,
    }
    config = FaultConfig.model_validate({"seed": 1} | {f"{k}_rate": v for k, v in rates.items()})
    faults = _roll(config, 4000)
    for kind, rate in rates.items():
        assert faults.count(kind) / len(faults) == pytest.approx(rate, abs=0.03), kind
    assert faults.count(None) / len(faults) == pytest.approx(0.5, abs=0.03)


def test_full_rates_always_fault() -> None:
    assert set(_roll(FaultConfig(error_rate=1.0), 20)) == {"error"}
    assert set(_roll(FaultConfig(timeout_rate=1.0), 20)) == {"timeout"}
    assert set(_roll(FaultConfig(disconnect_rate=1.0), 20)) == {"disconnect"}
    assert set(_roll(FaultConfig(bad_gateway_rate=1.0), 20)) == {"bad_gateway"}
    assert set(_roll(FaultConfig(gateway_timeout_rate=1.0), 20)) == {"gateway_timeout"}


def test_fixed_statuses_win_over_drawn_ones() -> None:
    injector = FaultInjector(
        FaultConfig(status_by_number={"+254700000403": 403}, status_rates={500: 1.0})
    )
    assert injector.recipient_status("+254700000403") == 403
    assert injector.recipient_status("+254711000001") == 500


def test_status_rates_draw_each_code_at_its_rate() -> None:
    injector = FaultInjector(FaultConfig(seed=3, status_rates={407: 0.25, 502: 0.25}))
    drawn = [injector.recipient_status("+254711000001") for _ in range(4000)]
    assert drawn.count(407) / 4000 == pytest.approx(0.25, abs=0.03)
    assert drawn.count(502) / 4000 == pytest.approx(0.25, abs=0.03)
    assert drawn.count(None) / 4000 == pytest.approx(0.5, abs=0.03)


def test_reports_default_to_success_without_a_reason() -> None:
    plan = FaultInjector(FaultConfig()).report_for("+254711000001")
    assert (plan.status, plan.failure_reason, plan.duplicate) == ("Success", None, False)


def test_failed_reports_get_a_reason_and_duplicates_follow_their_rate() -> None:
    config = FaultConfig(
        report_by_number={
            "+1": ReportOverride(status="Failed"),
            "+2": ReportOverride.model_validate(
                {"status": "Rejected", "failureReason": "UserIsInactive"}
            ),
        },
        duplicate_report_rate=1.0,
    )
    injector = FaultInjector(config)
    one, two = injector.report_for("+1"), injector.report_for("+2")
    assert (one.status, one.failure_reason, one.duplicate) == ("Failed", "DeliveryFailure", True)
    assert (two.status, two.failure_reason) == ("Rejected", "UserIsInactive")


@pytest.mark.parametrize(
    "bad",
    [
        {"error_rate": 0.6, "timeout_rate": 0.3, "disconnect_rate": 0.2},
        {"error_rate": 0.5, "bad_gateway_rate": 0.3, "gateway_timeout_rate": 0.3},
        {"error_rate": 1.5},
        {"status_by_number": {"+1": 999}},
        {"status_rates": {999: 0.1}},
        {"status_rates": {403: 0.7, 407: 0.7}},
        {"status_rates": {403: -0.1}},
        {"timeout_then": "explode"},
        {"unknown_knob": 1},
        {"report_by_number": {"+1": {"status": "Delivered"}}},
        {"report_by_number": {"+1": {"status": "Success", "failureReason": "DeliveryFailure"}}},
        {"report_by_number": {"+1": {"status": "Failed", "failureReason": "Gremlins"}}},
    ],
)
def test_impossible_fault_configs_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FaultConfig.model_validate(bad)


def test_json_keys_for_status_rates_become_codes() -> None:
    config = FaultConfig.model_validate_json('{"status_rates": {"407": 0.5}}')
    assert config.status_rates == {407: 0.5}
