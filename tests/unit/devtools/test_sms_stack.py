from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from devtools.prefect_server import PrefectServer
from devtools.sms_stack import SmsStack, start_sms_stack
from duka.core.settings import Settings

DB = "postgresql://postgres@127.0.0.1:54329/duka"


def stack(tmp_path: Path, **settings: object) -> SmsStack:
    made = start_sms_stack(
        Settings(state_dir=tmp_path, **settings),  # type: ignore[arg-type]
        DB,
        api_base_url="http://127.0.0.1:8000",
        prefect_port=4201,
        sandbox_port=8026,
    )
    made.callback_secret = "s3cret"
    made.prefect = PrefectServer(database_url=DB, home=tmp_path, port=4201)
    return made


def test_the_sandbox_calls_back_the_api_with_basic_auth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DUKA_METRICS_ENABLED", raising=False)
    made = stack(tmp_path)
    assert made.callback_url() == (
        "http://africastalking:s3cret@127.0.0.1:8000/api/v1/webhooks/africastalking/delivery"
    )
    assert made.api_env() == {"DUKA_AT_CALLBACK_SECRET": "s3cret", "DUKA_METRICS_ENABLED": "true"}
    labels = dict(made.urls())
    assert labels["Prefect UI"] == "http://127.0.0.1:4201"
    assert labels["SMS inbox"] == "http://127.0.0.1:8026/_sandbox/inbox.html"
    assert "s3cret" not in " ".join(labels.values()), "the secret is never printed"


def test_the_runner_talks_to_the_sandbox_and_prefect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUKA_SMS_UNKNOWN_GRACE_S", "5")
    env = stack(tmp_path).runner_env()
    assert env["DUKA_DATABASE_URL"] == DB
    assert env["DUKA_AT_BASE_URL"] == "http://127.0.0.1:8026"
    assert env["DUKA_AT_API_KEY"] == "at-sandbox-key"
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4201/api"
    assert env["DUKA_SMS_UNKNOWN_LOOKUP"] == "sandbox_inbox"
    assert env["DUKA_SMS_UNKNOWN_GRACE_S"] == "5", "the environment wins over dev defaults"


def test_a_configured_account_is_used_as_is(tmp_path: Path) -> None:
    made = stack(tmp_path, at_api_key=SecretStr("real"), at_base_url="http://127.0.0.1:9")
    assert (made.api_key, made.sandbox_url) == ("real", "http://127.0.0.1:9")


@pytest.mark.parametrize("configured", [None, "configured-callback-secret"])
def test_the_api_can_get_the_callback_secret_before_the_stack_starts(
    tmp_path: Path, configured: str | None
) -> None:
    secret = SecretStr(configured) if configured else None
    made = start_sms_stack(
        Settings(state_dir=tmp_path, at_callback_secret=secret),
        DB,
        api_base_url="http://127.0.0.1:8000",
    )
    chosen = made.api_env()["DUKA_AT_CALLBACK_SECRET"]
    assert len(chosen) >= 16
    assert chosen == (configured or chosen)
    assert made.api_env()["DUKA_AT_CALLBACK_SECRET"] == chosen  # the sandbox gets the same
    assert f":{chosen}@" in made.callback_url()


def test_dev_serves_and_prints_the_metrics_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DUKA_METRICS_ENABLED", raising=False)
    monkeypatch.setenv("DUKA_SMS_METRICS_PORT", "19465")
    made = stack(tmp_path, metrics_port=19464)
    assert made.runner_env()["DUKA_METRICS_ENABLED"] == "true"
    assert dict(made.urls())["Metrics"] == (
        "http://127.0.0.1:19464/metrics (API)  http://127.0.0.1:19465/metrics (SMS runner)"
    )
    monkeypatch.setenv("DUKA_METRICS_ENABLED", "false")
    assert made.api_env()["DUKA_METRICS_ENABLED"] == "false"
    assert made.runner_env()["DUKA_METRICS_ENABLED"] == "false"
    assert dict(made.urls())["Metrics"] == "off (DUKA_METRICS_ENABLED=false)"
