"""What an exception from the Africa's Talking SDK (or `requests` under it) means for a send.

The rule that matters: TRANSIENT only when AT cannot have processed the request (it never
left whole, or the answer says it was refused before processing); UNKNOWN whenever AT may
have accepted it, because a resend could reach the customer twice. UNKNOWN sends go to the
reconciler (duka/notifications/reconcile.py), which looks for evidence instead of guessing.

A non-2xx answer (`ProviderHTTPError`, duka/notifications/sms/at_transport.py), by HTTP status:

| status                                   | outcome   | reason                 |
|------------------------------------------|-----------|------------------------|
| 401, or a body about "authentication"    | PERMANENT | bad_credentials (*)    |
| 408, 429, 503 with Retry-After           | TRANSIENT | provider_busy          |
|   (refused before processing, by RFC 9110)|          |                        |
| any other 4xx                            | PERMANENT | invalid_request (*)    |
| 501, 505 (the method or version refused) | PERMANENT | config_error (*)       |
| 504, or a body about a timeout           | UNKNOWN   | provider_timeout       |
| 502 (a proxy's upstream failed)          | UNKNOWN   | bad_gateway            |
| 500, 503 without Retry-After, other 5xx, | UNKNOWN   | provider_error         |
|   anything else                          |           |                        |

A 5xx may come from AT after it recorded the message, or from a proxy in front of AT
after it passed the request on: either way the message may be on its way.

A transport failure (`RequestFailedError`), by how far the request got:

| exception                                      | outcome   | reason              |
|------------------------------------------------|-----------|---------------------|
| a bad URL (InvalidURL, MissingSchema, ...)     | PERMANENT | config_error (*)    |
| not written whole: ConnectTimeout              | TRANSIENT | connect_timeout     |
|   SSLError (handshake)                         | TRANSIENT | tls_error           |
|   any other                                    | TRANSIENT | connect_error       |
| written whole: ReadTimeout                     | UNKNOWN   | timeout             |
|   any other (connection lost, answer broke off)| UNKNOWN   | connection_lost     |
| not known (an untracked connection)            | by type, as below   |           |

By type alone (a bare `requests` exception, or one whose progress is not known): connect
timeouts, refused connections and TLS errors are TRANSIENT, read timeouts and broken
answers UNKNOWN. An SDK exception without a status is PERMANENT for the two bodies above,
else UNKNOWN. Any other exception is UNKNOWN (unexpected_error).

(*) needs_operator.
"""

from __future__ import annotations

import requests
from africastalking.Service import AfricasTalkingException
from urllib3.exceptions import MaxRetryError, NewConnectionError

from duka.notifications.sms.at_transport import ProviderHTTPError, RequestFailedError
from duka.notifications.sms.gateway import SendOutcome, SendResult

_MAX_DETAIL = 300


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_DETAIL else flat[: _MAX_DETAIL - 1] + "…"


def _bad_credentials() -> SendResult:
    return SendResult(
        SendOutcome.PERMANENT,
        "bad_credentials",
        "Africa's Talking rejected the username or API key",
        needs_operator=True,
    )


def _rejected(what: str, body: str) -> SendResult:
    return SendResult(
        SendOutcome.PERMANENT,
        "invalid_request",
        f"Africa's Talking rejected the request{what}: {_short(body)}",
        needs_operator=True,
    )


def _may_have_gone(reason: str, what: str, body: str) -> SendResult:
    return SendResult(
        SendOutcome.UNKNOWN, reason, f"{what}: the message may have been sent ({_short(body)})"
    )


def _timed_out(body: str) -> bool:
    lowered = body.lower()
    return "timely response" in lowered or "timed out" in lowered


def _classify_answer(error: ProviderHTTPError) -> SendResult:
    """A non-2xx answer, by its status (the body only names credentials and timeouts)."""
    status, body = error.status_code, error.body
    if status == 401 or (400 <= status < 500 and "authentication" in body.lower()):
        return _bad_credentials()
    if status in (408, 429) or (status == 503 and error.retry_after):
        return SendResult(
            SendOutcome.TRANSIENT,
            "provider_busy",
            f"Africa's Talking refused the request for now (HTTP {status}): {_short(body)}",
        )
    if 400 <= status < 500:
        return _rejected(f" (HTTP {status})", body)
    if status in (501, 505):
        return SendResult(
            SendOutcome.PERMANENT,
            "config_error",
            f"Africa's Talking cannot serve this request (HTTP {status}): {_short(body)}",
            needs_operator=True,
        )
    if status == 504 or _timed_out(body):
        return _may_have_gone(
            "provider_timeout", f"Africa's Talking timed out (HTTP {status})", body
        )
    if status == 502:
        return _may_have_gone("bad_gateway", "a gateway in front of Africa's Talking failed", body)
    return _may_have_gone("provider_error", f"Africa's Talking failed (HTTP {status})", body)


def _classify_provider_error(body: str) -> SendResult:
    """An SDK exception without a status: only its text to go on."""
    lowered = body.lower()
    if "authentication" in lowered:
        return _bad_credentials()
    if lowered.startswith(("request is missing", "invalid")):
        return _rejected("", body)
    if _timed_out(body):
        return _may_have_gone("provider_timeout", "Africa's Talking timed out", body)
    return _may_have_gone("provider_error", "Africa's Talking failed", body)


_CONFIG_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


def _classify_failed_request(error: RequestFailedError) -> SendResult:
    cause = error.cause
    if error.request_sent is None or isinstance(cause, _CONFIG_ERRORS):
        return classify_exception(cause)
    if error.request_sent:
        if isinstance(cause, requests.ReadTimeout):
            return SendResult(
                SendOutcome.UNKNOWN, "timeout", "no answer in time: the message may have been sent"
            )
        return SendResult(
            SendOutcome.UNKNOWN,
            "connection_lost",
            f"the request was sent, then the connection failed ({type(cause).__name__}): "
            "the message may have been sent",
        )
    if isinstance(cause, requests.ConnectTimeout):
        reason = "connect_timeout"
    elif isinstance(cause, requests.exceptions.SSLError):
        reason = "tls_error"
    else:
        reason = "connect_error"
    return SendResult(
        SendOutcome.TRANSIENT,
        reason,
        f"the request never reached Africa's Talking whole ({type(cause).__name__}): "
        f"{_short(str(cause))}",
    )


def _never_connected(exc: requests.ConnectionError) -> bool:
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


def classify_exception(exc: BaseException) -> SendResult:
    if isinstance(exc, ProviderHTTPError):
        return _classify_answer(exc)
    if isinstance(exc, RequestFailedError):
        return _classify_failed_request(exc)
    if isinstance(exc, AfricasTalkingException):
        return _classify_provider_error(str(exc))
    # ConnectTimeout and SSLError are ConnectionErrors too: test them first.
    if isinstance(exc, requests.ConnectTimeout):
        return SendResult(
            SendOutcome.TRANSIENT, "connect_timeout", "could not connect to Africa's Talking"
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return SendResult(SendOutcome.TRANSIENT, "tls_error", f"TLS failed: {_short(str(exc))}")
    if isinstance(exc, requests.ReadTimeout):
        return SendResult(
            SendOutcome.UNKNOWN,
            "timeout",
            "no answer in time: the message may have been sent",
        )
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return SendResult(
            SendOutcome.UNKNOWN,
            "connection_lost",
            "the answer broke off: the message may have been sent",
        )
    if isinstance(exc, requests.ConnectionError):
        if _never_connected(exc):
            return SendResult(
                SendOutcome.TRANSIENT, "connect_error", "could not connect to Africa's Talking"
            )
        return SendResult(
            SendOutcome.UNKNOWN,
            "connection_lost",
            "connection lost before the answer: the message may have been sent",
        )
    if isinstance(exc, _CONFIG_ERRORS):
        return SendResult(
            SendOutcome.PERMANENT,
            "config_error",
            f"bad Africa's Talking URL: {_short(str(exc))}",
            needs_operator=True,
        )
    return SendResult(
        SendOutcome.UNKNOWN,
        "unexpected_error",
        f"{type(exc).__name__}: {_short(str(exc))}",
    )
