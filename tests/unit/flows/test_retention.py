"""The retention pass's filter and cutoff (flows/retention.py); what it deletes on a real
Prefect server is tests/integration/flows/test_retention.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prefect.client.schemas.objects import StateType
from pydantic import ValidationError

from flows.retention import abandoned_filter, cutoff_for
from flows.settings import SmsFlowSettings


def test_the_cutoff_is_the_setting_in_days_before_now() -> None:
    now = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    sms = SmsFlowSettings(run_retention_days=14)
    assert cutoff_for(sms, now) == now - timedelta(days=14)
    assert cutoff_for(SmsFlowSettings(run_retention_days=1.5), now) == now - timedelta(hours=36)


def test_only_duka_runs_not_finished_and_due_before_the_cutoff_match() -> None:
    cutoff = datetime(2026, 11, 21, tzinfo=UTC)
    query = abandoned_filter(cutoff).model_dump(mode="json", exclude_none=True)
    assert query["tags"]["all_"] == ["sms"]
    assert query["expected_start_time"]["before_"].startswith("2026-11-21T00:00:00")
    excluded = set(query["state"]["type"]["not_any_"])
    assert excluded == {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}
    assert StateType.RUNNING.value not in excluded
    assert StateType.PENDING.value not in excluded


def test_a_live_run_can_never_fall_under_the_setting() -> None:
    # A dispatch run lives at most session_max_s (a day at most): retention starts at a day.
    with pytest.raises(ValidationError):
        SmsFlowSettings(run_retention_days=0.5)
    assert SmsFlowSettings().run_retention_days == 14
    assert SmsFlowSettings().retention_interval_s == 3600
