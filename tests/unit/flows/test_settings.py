from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from flows.settings import SmsFlowSettings, get_sms_settings


def test_defaults_are_consistent() -> None:
    sms = SmsFlowSettings()
    assert sms.max_attempts == sms.max_retries + 1 == 6
    assert sms.heartbeat_s == pytest.approx(sms.lease_s / 3)
    assert sms.unknown_lookup == "none", "production has no provider inbox to ask"


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUKA_SMS_MAX_RETRIES", "2")
    monkeypatch.setenv("DUKA_SMS_UNKNOWN_LOOKUP", "sandbox_inbox")
    get_sms_settings.cache_clear()
    try:
        sms = get_sms_settings()
        assert (sms.max_attempts, sms.unknown_lookup) == (3, "sandbox_inbox")
    finally:
        get_sms_settings.cache_clear()


@pytest.mark.parametrize(
    "bad",
    [
        {"session_idle_s": 600, "session_max_s": 60},
        {"retry_backoff_s": 0},
        {"unknown_lookup": "guess"},
        {"lease_s": 0.5},
    ],
)
def test_bad_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SmsFlowSettings(**bad)  # type: ignore[arg-type]


def test_every_setting_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "notifications.md").read_text()
    missing = [
        f"DUKA_SMS_{name.upper()}"
        for name in SmsFlowSettings.model_fields
        if f"`DUKA_SMS_{name.upper()}`" not in docs
    ]
    assert missing == []
