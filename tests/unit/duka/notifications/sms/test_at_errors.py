from __future__ import annotations

import pytest
import requests
from africastalking.Service import AfricasTalkingException
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from duka.notifications.sms.at_errors import classify_exception
from duka.notifications.sms.at_transport import ProviderHTTPError, RequestFailedError
from duka.notifications.sms.gateway import SendOutcome


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
def test_other_provider_errors_without_a_status_are_unknown(body: str) -> None:
    result = classify_exception(AfricasTalkingException(body))
    assert (result.outcome, result.reason) == (SendOutcome.UNKNOWN, "provider_error")


NGINX_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
NGINX_504 = "<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>"


@pytest.mark.parametrize(
    ("status", "body", "retry_after", "outcome", "reason"),
    [
        (
            401,
            "The supplied authentication is invalid",
            None,
            SendOutcome.PERMANENT,
            "bad_credentials",
        ),
        (403, "authentication required", None, SendOutcome.PERMANENT, "bad_credentials"),
        (400, "Invalid phone number", None, SendOutcome.PERMANENT, "invalid_request"),
        (404, "Not Found", None, SendOutcome.PERMANENT, "invalid_request"),
        (413, "Request Entity Too Large", None, SendOutcome.PERMANENT, "invalid_request"),
        (408, "Request Timeout", None, SendOutcome.TRANSIENT, "provider_busy"),
        (429, "Too Many Requests", "2", SendOutcome.TRANSIENT, "provider_busy"),
        (503, "Maintenance", "120", SendOutcome.TRANSIENT, "provider_busy"),
        (501, "Not Implemented", None, SendOutcome.PERMANENT, "config_error"),
        # Every 5xx that may follow a request AT took: the message may be on its way.
        (502, NGINX_502, None, SendOutcome.UNKNOWN, "bad_gateway"),
        (504, NGINX_504, None, SendOutcome.UNKNOWN, "provider_timeout"),
        (500, "Internal Server Error", None, SendOutcome.UNKNOWN, "provider_error"),
        (
            503,
            "upstream connect error or disconnect/reset before headers",
            None,
            SendOutcome.UNKNOWN,
            "provider_error",
        ),
        (
            503,
            "The server was not able to produce a timely response",
            None,
            SendOutcome.UNKNOWN,
            "provider_timeout",
        ),
        (524, "A timeout occurred", None, SendOutcome.UNKNOWN, "provider_error"),
        (302, "", None, SendOutcome.UNKNOWN, "provider_error"),
    ],
)
def test_answers_are_classified_by_their_status(
    status: int, body: str, retry_after: str | None, outcome: SendOutcome, reason: str
) -> None:
    result = classify_exception(ProviderHTTPError(body, status, retry_after))
    assert (result.outcome, result.reason) == (outcome, reason)
    assert result.needs_operator is (
        reason in {"bad_credentials", "invalid_request", "config_error"}
    )
    assert "\n" not in result.detail


def _sent(exc: requests.RequestException, sent: bool | None) -> RequestFailedError:
    return RequestFailedError(exc, sent)


@pytest.mark.parametrize(
    ("exc", "outcome", "reason"),
    [
        # Written whole: whatever failed next, AT may have the message.
        (_sent(requests.ReadTimeout("read"), True), SendOutcome.UNKNOWN, "timeout"),
        (
            _sent(requests.exceptions.SSLError("bad record mac"), True),
            SendOutcome.UNKNOWN,
            "connection_lost",
        ),
        (_sent(requests.ConnectionError("reset"), True), SendOutcome.UNKNOWN, "connection_lost"),
        # Not written whole: AT cannot have processed it.
        (
            _sent(requests.ConnectTimeout("connect"), False),
            SendOutcome.TRANSIENT,
            "connect_timeout",
        ),
        (
            _sent(requests.exceptions.SSLError("handshake"), False),
            SendOutcome.TRANSIENT,
            "tls_error",
        ),
        (
            _sent(requests.ConnectionError("broken pipe"), False),
            SendOutcome.TRANSIENT,
            "connect_error",
        ),
        (
            _sent(requests.exceptions.InvalidURL("bad"), False),
            SendOutcome.PERMANENT,
            "config_error",
        ),
        # Not known: by type, as a bare exception.
        (_sent(requests.ReadTimeout("read"), None), SendOutcome.UNKNOWN, "timeout"),
        (
            _sent(requests.exceptions.MissingSchema("x"), None),
            SendOutcome.PERMANENT,
            "config_error",
        ),
    ],
)
def test_transport_failures_are_classified_by_how_far_the_request_got(
    exc: RequestFailedError, outcome: SendOutcome, reason: str
) -> None:
    result = classify_exception(exc)
    assert (result.outcome, result.reason) == (outcome, reason)


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
