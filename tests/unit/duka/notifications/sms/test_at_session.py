"""The SDK's SMS send on a kept-alive session per thread: the SDK still builds and parses
the request, only the POST goes through a reused `requests.Session` (its adapter, by
at_post.form_post: tests/unit/duka/notifications/sms/test_at_post.py)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests
from africastalking.Service import DEFAULT_TIMEOUT_S, AfricasTalkingException, Service

from duka.notifications.sms import at_session
from duka.notifications.sms.at_session import KeepAliveSMSService
from duka.notifications.sms.at_transport import (
    ProviderHTTPError,
    RequestFailedError,
    TrackingAdapter,
)

ANSWER = {"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": []}}


def _response(status: int, body: object) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers["content-type"] = "application/json"
    response._content = json.dumps(body).encode()
    return response


@pytest.fixture
def posts(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every form POST, with the session that made it; `requests.post` is forbidden."""
    calls: list[dict[str, Any]] = []

    def form_post(
        session: requests.Session, url: str, headers: Any, data: Any, timeout: Any
    ) -> requests.Response:
        calls.append(
            {
                "session": session,
                "thread": threading.get_ident(),
                "url": url,
                "headers": headers,
                "data": data,
                "timeout": timeout,
            }
        )
        return _response(201, ANSWER)

    def module_post(*args: Any, **kwargs: Any) -> requests.Response:
        raise AssertionError("requests.post opens a connection per send")

    monkeypatch.setattr(at_session, "form_post", form_post)
    monkeypatch.setattr(requests, "post", module_post)
    return calls


def _answer(monkeypatch: pytest.MonkeyPatch, answer: requests.Response) -> None:
    monkeypatch.setattr(at_session, "form_post", lambda *args: answer)


def _service(**kwargs: Any) -> KeepAliveSMSService:
    return KeepAliveSMSService("duka", "secret-key", **kwargs)


def test_the_sdk_builds_the_request_and_parses_the_answer(
    posts: list[dict[str, Any]],
) -> None:
    answer = _service().send("Hi", ["+254711000001"], sender_id="DUKA", timeout=(1.0, 2.0))
    assert answer == ANSWER
    [call] = posts
    assert call["url"] == "https://api.africastalking.com/version1/messaging"
    assert call["headers"]["apiKey"] == "secret-key"
    assert call["data"] == {
        "username": "duka",
        "to": "+254711000001",
        "message": "Hi",
        "bulkSMSMode": 1,
        "from": "DUKA",
    }
    assert call["timeout"] == (1.0, 2.0)


def test_an_error_answer_is_still_the_sdks_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    _answer(monkeypatch, _response(401, "The supplied authentication"))
    with pytest.raises(AfricasTalkingException, match="authentication"):
        _service().send("Hi", ["+254711000001"])


def test_an_error_answer_keeps_its_status_and_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answer = _response(503, "Maintenance")
    answer.headers["Retry-After"] = "120"
    _answer(monkeypatch, answer)
    with pytest.raises(ProviderHTTPError) as raised:
        _service().send("Hi", ["+254711000001"])
    assert (raised.value.status_code, raised.value.retry_after) == (503, "120")
    assert raised.value.body == '"Maintenance"'


def test_a_transport_failure_says_whether_the_request_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: Any) -> requests.Response:
        raise requests.ReadTimeout("read")

    monkeypatch.setattr(at_session, "form_post", fail)
    with pytest.raises(RequestFailedError) as raised:
        _service().send("Hi", ["+254711000001"])
    assert isinstance(raised.value.cause, requests.ReadTimeout)
    # No connection of ours was used (the POST is faked): how far it got is not known.
    assert raised.value.request_sent is None


def test_a_post_the_sdk_sms_service_never_makes_still_goes_through_the_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []

    def session_post(self: requests.Session, **kwargs: Any) -> requests.Response:
        calls.append(kwargs)
        return _response(201, ANSWER)

    monkeypatch.setattr(requests.Session, "post", session_post)
    url = "https://api.africastalking.com/version1/messaging"
    answer = _service()._Service__make_post_request(url, {}, "raw=1", {"page": "2"})
    assert answer.status_code == 201
    assert calls == [
        {
            "url": url,
            "headers": {},
            "params": {"page": "2"},
            "data": "raw=1",
            "timeout": DEFAULT_TIMEOUT_S,
        }
    ]


def test_sessions_use_connections_that_track_the_request() -> None:
    session = _service().session("https://api.africastalking.com/version1/messaging")
    for url in ("https://api.africastalking.com/", "http://127.0.0.1:8025/"):
        adapter = session.get_adapter(url)
        assert isinstance(adapter, TrackingAdapter)
        pool = adapter.poolmanager.connection_from_url(url)
        assert pool.ConnectionCls.__name__.startswith("_Tracked")


def test_a_thread_reuses_its_session_and_threads_do_not_share(
    posts: list[dict[str, Any]],
) -> None:
    service = _service(max_idle_s=60)
    for _ in range(3):
        service.send("Hi", ["+254711000001"])
    other = threading.Thread(target=service.send, args=("Hi", ["+254711000002"]))
    other.start()
    other.join()
    here = {id(c["session"]) for c in posts if c["thread"] == threading.get_ident()}
    there = {id(c["session"]) for c in posts if c["thread"] != threading.get_ident()}
    assert len(here) == 1, "one session for this thread's sends"
    assert len(there) == 1
    assert here.isdisjoint(there)


def test_a_session_idle_too_long_is_closed_and_replaced(
    posts: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [100.0]
    monkeypatch.setattr("duka.notifications.sms.at_session.time.monotonic", lambda: clock[0])
    closed: list[requests.Session] = []
    monkeypatch.setattr(requests.Session, "close", lambda self: closed.append(self))
    service = _service(max_idle_s=2.0)

    service.send("Hi", ["+254711000001"])
    clock[0] += 1.5
    service.send("Hi", ["+254711000001"])
    clock[0] += 2.5
    service.send("Hi", ["+254711000001"])

    first, second, third = (c["session"] for c in posts)
    assert first is second, "idle for less than max_idle_s: reused"
    assert third is not first
    assert closed == [first]


def test_proxy_and_ca_settings_are_read_once_per_session(
    posts: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company.pem")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    service = _service(max_idle_s=60)
    service.send("Hi", ["+254711000001"])
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere.example.test:3128")
    service.send("Hi", ["+254711000001"])

    session = posts[-1]["session"]
    assert session is posts[0]["session"]
    assert session.trust_env is False, "no environment scan per send"
    assert session.proxies["https"] == "http://proxy.example.test:3128"
    assert session.verify == "/etc/ssl/company.pem"


def test_no_proxy_is_honoured(posts: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    monkeypatch.setenv("NO_PROXY", "api.africastalking.com")
    _service().send("Hi", ["+254711000001"])
    assert "https" not in posts[0]["session"].proxies


def test_the_pinned_sdk_has_the_helper_we_replace() -> None:
    at_session._check_sdk()


def test_a_changed_sdk_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def renamed(url: str, headers: Any, body: Any) -> None: ...

    monkeypatch.setattr(Service, "_Service__make_post_request", staticmethod(renamed))
    with pytest.raises(ImportError, match="must follow the new SDK"):
        at_session._check_sdk()
    monkeypatch.delattr(Service, "_Service__make_post_request")
    with pytest.raises(ImportError):
        at_session._check_sdk()
