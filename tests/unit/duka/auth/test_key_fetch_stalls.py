"""A black-holed issuer (it accepts the request and never answers) must not stall the API.

Bounds are ratios of the configured fetch timeout, never absolute machine speed.
"""

from __future__ import annotations

import asyncio
import time

import anyio
import httpx
import pytest

from duka.auth.keys import IssuerKeys, VerificationKey
from duka.core.errors import AuthenticationError, ServiceUnavailableError
from tests.support.fake_issuer import ISSUER, FakeIssuer, rsa_key

pytestmark = pytest.mark.anyio

KEY_A = rsa_key()
TIMEOUT_S = 1.5  # above the old 1 s retry gap, which is what let the fetches pile up
REQUESTS = 50


class BlackHoleAfterWarmUp(httpx.AsyncBaseTransport):
    """Answers as the fake issuer until `black_hole` is set; then every request hangs."""

    def __init__(self, issuer: FakeIssuer) -> None:
        self.issuer = issuer
        self.black_hole = False
        self.hanging = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.black_hole:
            self.hanging += 1
            await asyncio.Event().wait()  # never set: no answer, ever
        return self.issuer.handle(request)


async def timed(call: object) -> tuple[float, VerificationKey | Exception]:
    assert asyncio.iscoroutine(call)
    start = time.monotonic()
    try:
        result: VerificationKey | Exception = await call
    except (AuthenticationError, ServiceUnavailableError) as exc:
        result = exc
    return time.monotonic() - start, result


async def test_fifty_requests_against_a_black_holed_issuer_wait_one_timeout_at_most() -> None:
    issuer = FakeIssuer()
    issuer.add(KEY_A, "a")
    transport = BlackHoleAfterWarmUp(issuer)
    keys = IssuerKeys(ISSUER, timeout_s=TIMEOUT_S, ttl_s=0.05, min_refresh_s=0, transport=transport)
    assert (await keys.key_for("a", "RS256")).kid == "a"
    await anyio.sleep(0.1)  # the keys are now due for their scheduled refresh
    transport.black_hole = True

    calls = [keys.key_for("a" if i % 2 == 0 else f"unknown-{i}", "RS256") for i in range(REQUESTS)]
    start = time.monotonic()
    # The old code queued every request behind the previous one's fetch: N x timeout.
    with anyio.fail_after(4 * TIMEOUT_S):
        results = await asyncio.gather(*(timed(c) for c in calls))
    total = time.monotonic() - start

    known = [r for i, r in enumerate(results) if i % 2 == 0]
    unknown = [r for i, r in enumerate(results) if i % 2 == 1]
    # Known keys keep their normal latency while the refresh hangs.
    for elapsed, result in known:
        assert isinstance(result, VerificationKey)
        assert result.kid == "a"
        assert elapsed < 0.1 * TIMEOUT_S
    # The rest share one fetch and fail fast, with a hint when to come back.
    for elapsed, result in unknown:
        assert isinstance(result, ServiceUnavailableError), result
        assert result.retry_after_s >= 1
        assert elapsed < 1.5 * TIMEOUT_S
    assert total < 2 * TIMEOUT_S
    assert transport.hanging == 1  # one fetch in flight for all fifty


async def test_after_a_failed_fetch_unknown_keys_fail_at_once_until_the_retry_time() -> None:
    issuer = FakeIssuer()
    issuer.add(KEY_A, "a")
    transport = BlackHoleAfterWarmUp(issuer)
    keys = IssuerKeys(ISSUER, timeout_s=0.2, ttl_s=300, min_refresh_s=0, transport=transport)
    await keys.key_for("a", "RS256")
    transport.black_hole = True
    with pytest.raises(ServiceUnavailableError):
        await keys.key_for("new", "RS256")
    start = time.monotonic()
    with pytest.raises(ServiceUnavailableError) as raised:
        await keys.key_for("newer", "RS256")
    assert time.monotonic() - start < 0.1
    assert raised.value.retry_after_s >= 1
    assert transport.hanging == 1
    assert (await keys.key_for("a", "RS256")).kid == "a"


async def test_a_rate_limited_new_key_id_after_a_failed_fetch_is_503_not_401() -> None:
    issuer = FakeIssuer()
    issuer.add(KEY_A, "a")
    transport = BlackHoleAfterWarmUp(issuer)
    now = [1000.0]
    keys = IssuerKeys(
        ISSUER,
        timeout_s=0.2,
        ttl_s=300,
        min_refresh_s=60,
        transport=transport,
        clock=lambda: now[0],
    )
    await keys.key_for("a", "RS256")
    with pytest.raises(AuthenticationError):
        await keys.key_for("forged", "RS256")  # keys fetched just now: not published, 401
    transport.black_hole = True
    now[0] += 61
    with pytest.raises(ServiceUnavailableError):
        await keys.key_for("new", "RS256")  # fetched, and the fetch timed out
    with pytest.raises(ServiceUnavailableError) as raised:
        await keys.key_for("newer", "RS256")  # rate limited, but the issuer is away: 503
    assert raised.value.retry_after_s >= 59
    assert transport.hanging == 1


class Broken(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug, not an outage")


async def test_an_unexpected_fetch_error_is_logged_and_answered_as_unavailable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    keys = IssuerKeys(ISSUER, timeout_s=1, ttl_s=300, min_refresh_s=0, transport=Broken())
    with pytest.raises(ServiceUnavailableError):
        await keys.key_for("a", "RS256")
    assert "a bug, not an outage" in caplog.text
    await keys.settled()  # nothing in flight: returns at once
