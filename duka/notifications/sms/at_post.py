"""The SDK's form POST on a kept-alive session, without `Session.post`'s per-call work.

Why: `requests.Session.post` rebuilds everything per call (merges the session's and the
call's headers, params, auth, hooks and cookies, parses and requotes the URL, walks the
form through `typing.Protocol` checks, then dispatches hooks, extracts cookies and looks
for redirects). For one SMS to the local sandbox that was 0.66 ms of CPU; this function
sends the same request, byte for byte, through the same adapter for 0.46 ms (1,000
sequential sends in process, twice, alternating; docs/benchmarks.md, "Order SMS").

The same as `Session.post(url=…, headers=…, data=…, timeout=…)` on a session whose
environment was read when it was made (duka/notifications/sms/at_session.py): the
session's default headers under the SDK's own, the form body encoded as requests encodes
a dict (None values left out), `Content-Length` and the form's `Content-Type`, the
session's proxies, CA bundle and client certificate, its adapter (the connection pool of
tracked connections, duka/notifications/sms/at_transport.py), and the whole answer read
before returning (a failure while reading it is a `requests` exception, as before).

Left out, as none applies to Africa's Talking's API: cookies (it sets none, the SDK sends
none), hooks (none registered) and redirects (the API answers without: a 3xx is not 2xx,
so the SDK's helper reports it as an error answer instead of following it).
"""

from __future__ import annotations

import functools
from typing import Any, cast
from urllib.parse import urlencode

import requests
from requests.structures import CaseInsensitiveDict

_FORM = "application/x-www-form-urlencoded"


@functools.lru_cache(maxsize=16)
def _prepared_url(url: str) -> str:
    """The URL as requests sends it (IDNA host, requoted path): once per URL."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return str(prepared.url)


def form_post(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    data: dict[str, Any],
    timeout: Any,
) -> requests.Response:
    """POST `data` as a form to `url` through `session`'s adapter; the answer, read."""
    body = urlencode([(k, v) for k, v in data.items() if v is not None]).encode("ascii")
    prepared = requests.PreparedRequest()
    prepared.method = "POST"
    prepared.url = _prepared_url(url)
    # The session's default headers, the SDK's over them (case-insensitively), in that order.
    prepared.headers = CaseInsensitiveDict(cast("dict[str, str]", session.headers))
    prepared.headers.update(headers)
    prepared.headers["Content-Length"] = str(len(body))
    prepared.headers.setdefault("Content-Type", _FORM)
    prepared.body = body
    prepared.hooks = {"response": []}
    adapter = session.get_adapter(prepared.url)
    response = adapter.send(
        prepared,
        stream=False,
        timeout=timeout,
        verify=True if session.verify is None else session.verify,
        cert=session.cert,
        proxies=session.proxies,
    )
    response.content  # noqa: B018 - read the whole answer here, as Session.send does
    return response
