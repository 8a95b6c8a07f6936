"""What an exception from the Africa's Talking SDK (or `requests` under it) means for a send.

The rule that matters: TRANSIENT only when the request certainly did not reach AT, or AT
said it failed; UNKNOWN when it may have been processed.

| exception                                      | outcome   | reason              |
|------------------------------------------------|-----------|---------------------|
| AfricasTalkingException "...authentication..." | PERMANENT | bad_credentials (*) |
| AfricasTalkingException "Request is missing.." | PERMANENT | invalid_request (*) |
|   or "Invalid ..." (HTTP 400 from AT)          |           |                     |
| AfricasTalkingException "...timely response.." | UNKNOWN   | provider_timeout    |
|   or "...timed out..." (HTTP 503/504 timeouts) |           |                     |
| AfricasTalkingException, any other text        | TRANSIENT | provider_error      |
|   (HTTP 5xx, gateway pages)                    |           |                     |
| requests ConnectTimeout                        | TRANSIENT | connect_timeout     |
| requests ConnectionError, never connected      | TRANSIENT | connect_error       |
| requests SSLError (handshake)                  | TRANSIENT | tls_error           |
| requests ReadTimeout                           | UNKNOWN   | timeout             |
| requests ConnectionError after connecting,     | UNKNOWN   | connection_lost     |
|   ChunkedEncodingError (answer broke off)      |           |                     |
| a bad URL (InvalidURL, MissingSchema, ...)     | PERMANENT | config_error (*)    |
| any other exception                            | UNKNOWN   | unexpected_error    |

(*) needs_operator. The SDK turns every non-2xx answer into AfricasTalkingException(body)
and drops the status code, so the body text is all there is to go on; an unrecognised body
counts as TRANSIENT because a wrongly retried message costs a retry, while a wrongly
abandoned one is lost.
"""

from __future__ import annotations

import requests
from africastalking.Service import AfricasTalkingException
from urllib3.exceptions import MaxRetryError, NewConnectionError

from api.sms.gateway import SendOutcome, SendResult

_MAX_DETAIL = 300


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_DETAIL else flat[: _MAX_DETAIL - 1] + "…"


def _classify_provider_error(body: str) -> SendResult:
    lowered = body.lower()
    if "authentication" in lowered:
        return SendResult(
            SendOutcome.PERMANENT,
            "bad_credentials",
            "Africa's Talking rejected the username or API key",
            needs_operator=True,
        )
    if lowered.startswith(("request is missing", "invalid")):
        return SendResult(
            SendOutcome.PERMANENT,
            "invalid_request",
            f"Africa's Talking rejected the request: {_short(body)}",
            needs_operator=True,
        )
    if "timely response" in lowered or "timed out" in lowered:
        # A server-side timeout: the request may still be processed behind it.
        return SendResult(
            SendOutcome.UNKNOWN,
            "provider_timeout",
            f"Africa's Talking timed out: the message may have been sent ({_short(body)})",
        )
    return SendResult(
        SendOutcome.TRANSIENT, "provider_error", f"Africa's Talking failed: {_short(body)}"
    )


def _never_connected(exc: requests.ConnectionError) -> bool:
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


def classify_exception(exc: BaseException) -> SendResult:
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
    if isinstance(
        exc,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema,
    ):
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
