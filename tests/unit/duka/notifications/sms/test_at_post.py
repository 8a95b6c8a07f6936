"""The lean form POST sends exactly what `Session.post` would have sent, through the
session's adapter, with the session's transport settings."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from duka.notifications.sms.at_post import form_post
from duka.notifications.sms.at_session import _session_for

URL = "https://api.africastalking.com/version1/messaging"
HEADERS = {"Accept": "application/json", "User-Agent": "africastalking-python/2.0.0", "apiKey": "k"}
FORM = {
    "username": "duka",
    "to": "+254711000001",
    "message": "Habari Wanjiku: 1 x Unga & maji = KES 125.50 ☺ €",
    "bulkSMSMode": 1,
    "from": "DUKA",
}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the adapter was asked to send (nothing leaves the process)."""
    calls: list[dict[str, Any]] = []

    def send(self: requests.adapters.HTTPAdapter, request: Any, **kwargs: Any) -> Any:
        calls.append({"adapter": self, "request": request, **kwargs})
        response = requests.Response()
        response.status_code = 201
        response._content = b"{}"
        response.request = request
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return calls


def test_the_request_is_the_one_session_post_prepares(sent: list[dict[str, Any]]) -> None:
    session = _session_for(URL)
    form_post(session, URL, HEADERS, FORM, (3.05, 10.0))
    [call] = sent
    ours = call["request"]
    theirs = session.prepare_request(requests.Request("POST", URL, headers=HEADERS, data=FORM))
    assert (ours.method, ours.url) == (theirs.method, theirs.url)
    assert list(ours.headers.items()) == list(theirs.headers.items())
    assert isinstance(theirs.body, str)
    assert ours.body == theirs.body.encode("ascii")


def test_none_values_are_left_out_as_requests_does(sent: list[dict[str, Any]]) -> None:
    form_post(_session_for(URL), URL, HEADERS, {"to": "+254711000001", "from": None}, 1.0)
    assert sent[0]["request"].body == b"to=%2B254711000001"


def test_the_sessions_adapter_and_transport_settings_are_used(
    sent: list[dict[str, Any]],
) -> None:
    session = _session_for(URL)
    session.proxies = {"https": "http://proxy.example.test:3128"}
    session.verify = "/etc/ssl/company.pem"
    session.cert = "/etc/ssl/client.pem"
    answer = form_post(session, URL, HEADERS, FORM, (3.05, 10.0))
    [call] = sent
    assert call["adapter"] is session.get_adapter(URL)
    assert call["timeout"] == (3.05, 10.0)
    assert call["stream"] is False
    assert call["proxies"] == {"https": "http://proxy.example.test:3128"}
    assert (call["verify"], call["cert"]) == ("/etc/ssl/company.pem", "/etc/ssl/client.pem")
    assert answer.status_code == 201
    assert answer.json() == {}


def test_the_answer_is_read_before_returning(monkeypatch: pytest.MonkeyPatch) -> None:
    def send(self: requests.adapters.HTTPAdapter, request: Any, **kwargs: Any) -> Any:
        response = requests.Response()
        response.status_code = 201
        response.raw = _BrokenBody()
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    with pytest.raises(requests.ConnectionError, match="reset"):
        form_post(_session_for(URL), URL, HEADERS, FORM, 1.0)


class _BrokenBody:
    """A raw answer whose body fails on reading (the connection dropped mid-answer)."""

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        raise requests.ConnectionError("connection reset by peer")
        yield b""  # pragma: no cover - a generator
