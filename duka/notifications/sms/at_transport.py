"""How far a request to Africa's Talking got before it failed, and the failures that say so.

Whether a failed send may be retried depends on one question: could AT have received the
whole request? A form POST is processed only once its body has arrived whole, so a failure
before the last byte was handed to the network cannot have produced an SMS (a retry cannot
double it); any failure after that may have (the answer is lost, not the message).

`requests` does not tell which side of that line an exception came from (an `SSLError`
or a `ConnectionError` can happen during the handshake or while reading the answer), so the
sessions of duka/notifications/sms/at_session.py use connections that note it, per thread:

- `started`: a connection of ours began to connect or to send (False: the failure happened
  before any, e.g. a malformed URL, or on a connection we do not track, such as a SOCKS
  proxy's; then nothing is known);
- `sent`: the request line, headers and whole body were written.

The POST helper turns what it sees into two exceptions that carry it: `ProviderHTTPError`
for an answer that is not 2xx (with its status, which the SDK would drop), and
`RequestFailedError` for a transport failure (with `request_sent`).
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from africastalking.Service import AfricasTalkingException
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager


class ProviderHTTPError(AfricasTalkingException):  # type: ignore[misc]  # untyped SDK
    """A non-2xx answer: the SDK's own exception (its text is the body), plus the status."""

    def __init__(self, body: str, status_code: int, retry_after: str | None = None) -> None:
        super().__init__(body)
        self.body = body
        self.status_code = status_code
        self.retry_after = retry_after


class RequestFailedError(Exception):
    """No answer: `cause` is what `requests` raised; `request_sent` says whether the whole
    request had been written (None: not known)."""

    def __init__(self, cause: requests.RequestException, request_sent: bool | None) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.request_sent = request_sent


class _Progress(threading.local):
    started: bool = False
    sent: bool = False


_progress = _Progress()


def begin_request() -> None:
    """Forget the previous request's progress (this thread's)."""
    _progress.started = False
    _progress.sent = False


def request_sent() -> bool | None:
    """Whether this thread's current request was written whole; None if no tracked
    connection was used."""
    return _progress.sent if _progress.started else None


class _Tracked:
    """Mixed into urllib3's connections: notes the start of a connect or a request, and the
    end of a request's writing. (A reused connection skips connect.)"""

    def connect(self) -> None:
        _progress.started = True
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        _progress.started = True
        super().request(*args, **kwargs)  # type: ignore[misc]
        _progress.sent = True


class _TrackedHTTPConnection(_Tracked, HTTPConnection):
    pass


class _TrackedHTTPSConnection(_Tracked, HTTPSConnection):
    pass


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


_TRACKED_POOLS = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}


def _track(manager: PoolManager) -> PoolManager:
    # Only urllib3's own pool classes are swapped: a SOCKS manager keeps its own (untracked).
    if manager.pool_classes_by_scheme.get("http") is HTTPConnectionPool:
        manager.pool_classes_by_scheme = dict(_TRACKED_POOLS)
    return manager


class TrackingAdapter(HTTPAdapter):
    """requests' adapter, on connections that note how far each request got."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _track(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        return _track(super().proxy_manager_for(proxy, **proxy_kwargs))
