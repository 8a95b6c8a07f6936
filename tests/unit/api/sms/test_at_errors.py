from __future__ import annotations

import pytest
import requests
from africastalking.Service import AfricasTalkingException
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from api.sms.at_errors import classify_exception
from api.sms.gateway import SendOutcome


def test_bad_credentials_are_permanent_and_need_an_operator() -> None:
    result = classify_exception(AfricasTalkingException("The supplied authentication is invalid"))
    assert (result.outcome, result.reason, result.needs_operator) == (
        SendOutcome.PERMANENT,
        "bad_credentials",
        True,
    )


@pytest.mark.parametrize(
    "body", ["Request is missing required form field 'to'", "Invalid value for 'enqueue'"]
)
def test_rejected_requests_are_permanent(body: str) -> None:
    result = classify_exception(AfricasTalkingException(body))
    assert (result.outcome, result.reason) == (SendOutcome.PERMANENT, "invalid_request")
    assert body in result.detail


@pytest.mark.parametrize("body", ["Internal Server Error", "<html>502 Bad Gateway</html>", ""])
def test_other_provider_errors_are_transient(body: str) -> None:
    result = classify_exception(AfricasTalkingException(body))
    assert (result.outcome, result.reason) == (SendOutcome.TRANSIENT, "provider_error")


@pytest.mark.parametrize(
    "body",
    [
        "The server was not able to produce a timely response to your request.",
        "upstream request timed out",
    ],
)
def test_provider_side_timeouts_are_unknown(body: str) -> None:
    result = classify_exception(AfricasTalkingException(body))
    assert (result.outcome, result.reason) == (SendOutcome.UNKNOWN, "provider_timeout")


def test_long_provider_bodies_are_shortened_and_flattened() -> None:
    result = classify_exception(AfricasTalkingException("line\n" * 500))
    assert len(result.detail) < 400
    assert "\n" not in result.detail


def _refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/version1/messaging", reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "outcome", "reason"),
    [
        (requests.ConnectTimeout("connect"), SendOutcome.TRANSIENT, "connect_timeout"),
        (_refused(), SendOutcome.TRANSIENT, "connect_error"),
        (requests.exceptions.SSLError("handshake"), SendOutcome.TRANSIENT, "tls_error"),
        (requests.ReadTimeout("read"), SendOutcome.UNKNOWN, "timeout"),
        (
            requests.ConnectionError(ProtocolError("Connection aborted.")),
            SendOutcome.UNKNOWN,
            "connection_lost",
        ),
        (requests.ConnectionError(), SendOutcome.UNKNOWN, "connection_lost"),
        (
            requests.exceptions.ChunkedEncodingError("IncompleteRead"),
            SendOutcome.UNKNOWN,
            "connection_lost",
        ),
        (requests.exceptions.MissingSchema("no scheme"), SendOutcome.PERMANENT, "config_error"),
        (requests.exceptions.InvalidURL("bad"), SendOutcome.PERMANENT, "config_error"),
        (ValueError("Expecting value"), SendOutcome.UNKNOWN, "unexpected_error"),
        (KeyError("SMSMessageData"), SendOutcome.UNKNOWN, "unexpected_error"),
    ],
)
def test_network_failures_are_transient_only_when_nothing_was_sent(
    exc: Exception, outcome: SendOutcome, reason: str
) -> None:
    result = classify_exception(exc)
    assert (result.outcome, result.reason) == (outcome, reason)
