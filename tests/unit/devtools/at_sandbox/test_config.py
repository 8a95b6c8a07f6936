from __future__ import annotations

import pytest
from pydantic import ValidationError

from devtools.at_sandbox.__main__ import parse_args
from devtools.at_sandbox.config import SandboxConfig


@pytest.fixture(autouse=True)
def _no_sandbox_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("AT_SANDBOX_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_are_allowed(host: str) -> None:
    assert SandboxConfig(host=host).host == host


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_other_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValidationError, match="loopback"):
        SandboxConfig(host=host)


def test_accepted_status_must_be_an_accepting_code() -> None:
    assert SandboxConfig(accepted_status=102).accepted_status == 102
    with pytest.raises(ValidationError):
        SandboxConfig(accepted_status=403)


def test_environment_variables_configure_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AT_SANDBOX_PORT", "9100")
    monkeypatch.setenv("AT_SANDBOX_API_KEY", "from-env")
    monkeypatch.setenv("AT_SANDBOX_FAULTS", '{"error_rate": 0.5, "seed": 3}')
    config = SandboxConfig()
    assert (config.port, config.api_key, config.faults.error_rate) == (9100, "from-env", 0.5)


def test_command_line_options_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AT_SANDBOX_PORT", "9100")
    monkeypatch.setenv("AT_SANDBOX_USERNAME", "env-user")
    config = parse_args(
        [
            "--port",
            "9200",
            "--api-key",
            "cli-key",
            "--sender-id",
            "DUKA",
            "--sender-id",
            "SHOP",
            "--callback-url",
            "http://127.0.0.1:9/reports",
            "--faults",
            '{"timeout_rate": 0.25}',
        ]
    )
    assert (config.port, config.api_key, config.username) == (9200, "cli-key", "env-user")
    assert config.sender_ids == ["DUKA", "SHOP"]
    assert config.callback_url == "http://127.0.0.1:9/reports"
    assert config.faults.timeout_rate == 0.25


@pytest.mark.parametrize(
    "argv",
    [["--faults", '{"error_rate": 2}'], ["--faults", "not json"], ["--host", "0.0.0.0"]],
)
def test_bad_options_exit_with_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert "error" in capsys.readouterr().err


def test_main_serves_the_configured_app_on_loopback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn
    from starlette.applications import Starlette

    from devtools.at_sandbox.__main__ import main

    served: dict[str, object] = {}

    def fake_run(app: object, **kwargs: object) -> None:
        served.update(kwargs, app=app)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    assert main(["--port", "9300", "--username", "duka"]) == 0
    assert (served["host"], served["port"]) == ("127.0.0.1", 9300)
    assert isinstance(served["app"], Starlette)
    assert served["app"].state.sandbox.config.username == "duka"
    assert "http://127.0.0.1:9300" in capsys.readouterr().err
