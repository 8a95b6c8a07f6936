from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from prefect import Flow

from flows import run_names
from flows.dispatch import dispatch_order_sms
from flows.sweep import sweep_order_sms


def test_a_name_is_the_prefix_and_the_utc_second() -> None:
    at = datetime(2026, 12, 5, 6, 15, 9, 999, tzinfo=timezone(timedelta(hours=3)))
    assert run_names.run_name("sms-sweep", at) == "sms-sweep-20261205-031509"


def test_the_flows_name_their_runs_with_it() -> None:
    flows: list[tuple[Flow[Any, Any], str]] = [
        (dispatch_order_sms, "sms-dispatch-"),
        (sweep_order_sms, "sms-sweep-"),
    ]
    for flow, prefix in flows:
        assert callable(flow.flow_run_name)
        name = flow.flow_run_name()
        assert name.startswith(prefix)
        stamp = datetime.strptime(name.removeprefix(prefix), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
        assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)
