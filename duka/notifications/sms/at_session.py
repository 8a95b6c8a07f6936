"""The official SDK's SMSService, with its HTTP POST made on a kept-alive connection.

africastalking 2.0.x sends every request with the module-level `requests.post`: a new TCP
(and, against AT, TLS) connection per SMS. Against the local sandbox a send cost 1.0-1.3 ms
of CPU that way and 0.55-0.6 ms on a kept-alive session (without TLS), and AT is spared a
handshake per SMS (docs/benchmarks.md, "Order SMS"). This subclass keeps all of
the SDK's own behaviour (URL, headers, form body, validation, answer parsing and the
AfricasTalkingException on a non-2xx answer) and replaces only the private POST helper,
`Service.__make_post_request` (name-mangled to `_Service__make_post_request`), with the same
request on a `requests.Session` that belongs to the calling thread, sent through its
adapter without `Session.post`'s per-call merging (duka/notifications/sms/at_post.py):

- one session per worker thread: `requests.Session` is not documented as thread-safe, and
  the gateway calls the SDK from several threads at once;
- the same timeouts; failures carry what the SDK and `requests` drop
  (duka/notifications/sms/at_transport.py): a non-2xx answer raises `ProviderHTTPError`,
  still the SDK's AfricasTalkingException with the body as its text, but with the HTTP
  status, and a transport failure raises `RequestFailedError`, which says whether the whole
  request had been written (AT could have taken it) or not (nothing can have been sent).
  duka/notifications/sms/at_errors.py classifies by those;
- a connection idle for longer than `max_idle_s` is closed before the next send instead of
  reused: servers close idle keep-alive connections (uvicorn after 5 s, load balancers
  after a minute or more), and a request racing that close fails as "connection lost",
  an UNKNOWN outcome. A bound below any server's keep-alive timeout keeps that race away;
- the environment's proxy and CA bundle settings (`HTTPS_PROXY`, `NO_PROXY`,
  `REQUESTS_CA_BUNDLE`, ...) are read when a session is made, not on every send, where
  `requests` scans the whole environment twice (a quarter of the call's CPU). `~/.netrc`
  is not consulted: AT authenticates with the apiKey header.

Tied to the pinned SDK (`africastalking>=2.0.3,<2.1` in pyproject.toml): the helper's name
and signature are checked when the module loads, so an SDK that changes them fails loudly
(tests/unit/duka/notifications/sms/test_at_session.py) instead of silently going back to
`requests.post`.
"""

from __future__ import annotations

import inspect
import threading
import time
from typing import Any

import requests
from africastalking.Service import DEFAULT_TIMEOUT_S, Service
from africastalking.SMS import SMSService

from duka.notifications.sms.at_post import form_post
from duka.notifications.sms.at_transport import (
    ProviderHTTPError,
    RequestFailedError,
    TrackingAdapter,
    begin_request,
    request_sent,
)

_HELPER = "_Service__make_post_request"
_HELPER_PARAMS = ["url", "headers", "data", "params", "callback", "timeout"]
DEFAULT_MAX_IDLE_S = 2.0


def _check_sdk() -> None:
    helper = inspect.getattr_static(Service, _HELPER, None)
    if not isinstance(helper, staticmethod) or (
        list(inspect.signature(helper.__func__).parameters) != _HELPER_PARAMS
    ):
        raise ImportError(
            "africastalking changed Service.__make_post_request: "
            "duka/notifications/sms/at_session.py must follow the new SDK"
        )


_check_sdk()


class _ThreadSession(threading.local):
    session: requests.Session | None = None
    url: str = ""
    last_used: float = 0.0


def _session_for(url: str) -> requests.Session:
    session = requests.Session()
    for scheme in ("http://", "https://"):
        session.mount(scheme, TrackingAdapter())
    env = session.merge_environment_settings(url, {}, None, None, None)
    session.trust_env = False
    session.proxies.update(env["proxies"])
    session.verify = env["verify"]
    return session


class KeepAliveSMSService(SMSService):  # type: ignore[misc]  # the SDK is untyped
    def __init__(self, username: str, api_key: str, max_idle_s: float = DEFAULT_MAX_IDLE_S):
        super().__init__(username, api_key)
        self._max_idle_s = max_idle_s
        self._local = _ThreadSession()

    def session(self, url: str) -> requests.Session:
        """This thread's session for `url`, fresh if its connection sat idle too long."""
        local, now = self._local, time.monotonic()
        if local.session is not None and (
            now - local.last_used > self._max_idle_s or local.url != url
        ):
            local.session.close()
            local.session = None
        if local.session is None:
            local.session, local.url = _session_for(url), url
        local.last_used = now
        return local.session

    def _Service__make_post_request(  # noqa: N802 - the SDK's mangled name
        self,
        url: str,
        headers: dict[str, str],
        data: Any,
        params: Any,
        callback: Any = None,
        timeout: Any = DEFAULT_TIMEOUT_S,
    ) -> Any:
        # The body of the SDK's helper, with the session in place of `requests`, and
        # failures that say how far the request got.
        begin_request()
        session = self.session(url)
        try:
            if params is None and isinstance(data, dict):
                # Every POST of the SDK's SMS service: the lean form POST (at_post.py).
                res = form_post(session, url, headers, data, timeout)
            else:
                res = session.post(
                    url=url, headers=headers, params=params, data=data, timeout=timeout
                )
        except requests.RequestException as exc:
            raise RequestFailedError(exc, request_sent()) from exc
        finally:
            # Idle time counts from the end of the exchange.
            self._local.last_used = time.monotonic()
        if callback is None or callback == {}:
            if not 200 <= res.status_code < 300:
                raise ProviderHTTPError(res.text, res.status_code, res.headers.get("retry-after"))
            return res
        callback(res)
        return None
