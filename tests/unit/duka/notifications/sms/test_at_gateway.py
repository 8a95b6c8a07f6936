from __future__ import annotations

import os
import threading
import time
from typing import Any

import anyio
import pytest
from pydantic import SecretStr

from duka.core.settings import Settings
from duka.notifications.sms.at_gateway import AfricasTalkingGateway
from duka.notifications.sms.gateway import SendOutcome

pytestmark = pytest.mark.anyio

OK = {
    "SMSMessageData": {
        "Message": "Sent to 1/1 Total Cost: KES 0.8000",
        "Recipients": [
            {
                "statusCode": 101,
                "number": "+254711000001",
                "status": "Success",
                "cost": "KES 0.8000",
                "messageId": "ATXid_1",
            }
        ],
    }
}


def _gateway(**kwargs: Any) -> AfricasTalkingGateway:
    defaults: dict[str, Any] = {"username": "sandbox", "api_key": "k"}
    return AfricasTalkingGateway(**(defaults | kwargs))


@pytest.mark.parametrize(
    ("base_url", "endpoint"),
    [
        ("http://127.0.0.1:8025", "http://127.0.0.1:8025/version1/messaging"),
        ("http://localhost:8025/", "http://localhost:8025/version1/messaging"),
        ("http://[::1]:8025", "http://[::1]:8025/version1/messaging"),
        ("https://api.example.test", "https://api.example.test/version1/messaging"),
    ],
)
def test_base_url_replaces_the_sdk_host(base_url: str, endpoint: str) -> None:
    assert _gateway(base_url=base_url).endpoint == endpoint


def test_without_base_url_the_sdk_picks_the_host_for_the_username() -> None:
    assert "sandbox.africastalking.com" in _gateway().endpoint
    assert _gateway(username="duka").endpoint.startswith("https://api.africastalking.com/")


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.example.test",  # the API key would cross the network in clear text
        "http://10.0.0.5:8025",
        "ftp://127.0.0.1",
        "127.0.0.1:8025",
        "https://api.example.test/?x=1",
        "https://api.example.test/#frag",
    ],
)
def test_unsafe_or_malformed_base_urls_are_refused(base_url: str) -> None:
    with pytest.raises(ValueError):
        _gateway(base_url=base_url)


@pytest.mark.parametrize(
    "kwargs",
    [{"api_key": ""}, {"username": ""}, {"timeout_s": 0}, {"max_concurrency": 0}],
)
def test_bad_constructor_arguments_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _gateway(**kwargs)


@pytest.fixture
def no_at_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("DUKA_AT_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("no_at_env")
def test_from_settings_needs_an_api_key_and_uses_the_rest() -> None:
    with pytest.raises(ValueError, match="DUKA_AT_API_KEY"):
        AfricasTalkingGateway.from_settings(Settings())
    gateway = AfricasTalkingGateway.from_settings(
        Settings(at_api_key=SecretStr("k"), at_base_url="http://127.0.0.1:9")
    )
    assert gateway.endpoint == "http://127.0.0.1:9/version1/messaging"


@pytest.mark.usefixtures("no_at_env")
def test_settings_have_safe_defaults() -> None:
    settings = Settings()
    assert settings.at_username == "sandbox"
    assert settings.at_api_key is None
    assert settings.at_base_url is None
    assert settings.at_sender_id is None
    assert 0 < settings.at_timeout_s <= 60


async def test_a_number_the_sdk_would_refuse_is_permanent_and_never_sent() -> None:
    gateway = _gateway()
    calls: list[object] = []
    gateway._service.send = lambda *a, **k: calls.append(a)
    result = await gateway.send("0711000001", "hi")
    assert (result.outcome, result.reason) == (SendOutcome.PERMANENT, "InvalidPhoneNumber")
    assert calls == []


async def test_the_sdk_runs_in_a_worker_thread_with_our_timeouts_and_sender() -> None:
    gateway = _gateway(sender_id="DUKA", timeout_s=2.0)
    seen: dict[str, Any] = {}

    def fake_send(message: str, recipients: list[str], **kwargs: Any) -> object:
        seen.update(kwargs, thread=threading.get_ident(), recipients=recipients)
        return OK

    gateway._service.send = fake_send
    result = await gateway.send("+254711000001", "hi", idempotency_key="n-1")
    assert result.outcome is SendOutcome.ACCEPTED
    assert result.provider_message_id == "ATXid_1"
    assert seen["thread"] != threading.get_ident()
    assert seen["recipients"] == ["+254711000001"]
    assert seen["sender_id"] == "DUKA"
    assert seen["timeout"] == (2.0, 2.0)

    await gateway.send("+254711000001", "hi", sender_id="OTHER")
    assert seen["sender_id"] == "OTHER"


async def test_unexpected_sdk_errors_become_unknown_not_exceptions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = _gateway()

    def broken(*args: Any, **kwargs: Any) -> object:
        raise KeyError("surprise")

    gateway._service.send = broken
    result = await gateway.send("+254711000001", "hi")
    assert (result.outcome, result.reason) == (SendOutcome.UNKNOWN, "unexpected_error")
    assert "unexpected error" in caplog.text


async def test_worker_threads_are_bounded_by_max_concurrency() -> None:
    gateway = _gateway(max_concurrency=2)
    lock, running, peak = threading.Lock(), [0], [0]

    def slow_send(*args: Any, **kwargs: Any) -> object:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return OK

    gateway._service.send = slow_send
    async with anyio.create_task_group() as tg:
        for _ in range(6):
            tg.start_soon(gateway.send, "+254711000001", "hi")
    assert peak[0] == 2


async def test_only_sends_not_accepted_are_logged_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = _gateway()
    answers = iter([OK, RuntimeError("surprise")])

    def send(*args: Any, **kwargs: Any) -> object:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    gateway._service.send = send
    caplog.set_level("DEBUG", logger="duka.notifications.sms.at_gateway")
    await gateway.send("+254711000001", "hi", idempotency_key="n-1:1")
    await gateway.send("+254711000001", "hi", idempotency_key="n-2:1")
    levels = {
        r.getMessage().split("key=")[-1]: r.levelname
        for r in caplog.records
        if r.getMessage().startswith("sms send")
    }
    assert levels == {"n-1:1": "DEBUG", "n-2:1": "INFO"}


async def test_a_cancelled_caller_waits_for_its_send_to_finish() -> None:
    gateway = _gateway()
    started, finished = threading.Event(), threading.Event()

    def slow_send(*args: Any, **kwargs: Any) -> object:
        started.set()
        time.sleep(0.3)
        finished.set()
        return OK

    gateway._service.send = slow_send
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:
            tg.start_soon(gateway.send, "+254711000001", "hi")
            await anyio.to_thread.run_sync(started.wait)
            scope.cancel()
    assert scope.cancelled_caught
    assert finished.is_set(), "the send in flight was waited for, not abandoned"
