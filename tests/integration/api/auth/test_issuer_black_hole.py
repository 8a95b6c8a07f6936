"""A black-holed issuer, seen through the running API: requests with cached keys keep their
latency, requests that need a new key get 503 + Retry-After within one fetch timeout.

Bounds are ratios of the configured timeout (and of the latency measured before the
outage), never absolute machine speed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import anyio
import httpx
import pytest

from api.main import create_app
from duka.core.settings import Settings
from tests.support.black_hole_issuer import BlackHoleIssuer
from tests.support.fake_issuer import claims, rsa_key, sign

pytestmark = pytest.mark.anyio

TIMEOUT_S = 3.0
TTL_S = 0.5
REQUESTS = 50
KEY = rsa_key()
ROTATED = rsa_key()


@pytest.fixture
def issuer() -> Iterator[BlackHoleIssuer]:
    with BlackHoleIssuer() as server:
        server.fake.add(KEY, "current")
        yield server


@pytest.fixture
async def api(database_url: str, issuer: BlackHoleIssuer) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        environment="test",
        oidc_issuer=issuer.issuer,
        oidc_http_timeout_s=TIMEOUT_S,
        oidc_jwks_ttl_s=TTL_S,
        oidc_jwks_min_refresh_s=0,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://duka.test") as client,
    ):
        yield client


def token(issuer: BlackHoleIssuer, kid: str, key: object = KEY) -> str:
    payload = claims(iss=issuer.issuer, roles=["admin"], aud="duka-api")
    return sign(payload, key, kid)  # type: ignore[arg-type]


async def timed_get(api: httpx.AsyncClient, bearer: str) -> tuple[float, httpx.Response]:
    start = time.monotonic()
    r = await api.get("/api/v1/customers", headers={"Authorization": f"Bearer {bearer}"})
    return time.monotonic() - start, r


async def test_a_black_holed_issuer_delays_no_request_beyond_one_timeout(
    api: httpx.AsyncClient, issuer: BlackHoleIssuer
) -> None:
    known = token(issuer, "current")
    # Normal latency: the same concurrency with a healthy issuer and warm keys.
    assert (await timed_get(api, known))[1].status_code == 200
    warm = await asyncio.gather(*(timed_get(api, known) for _ in range(REQUESTS // 2)))
    assert all(r.status_code == 200 for _, r in warm)
    normal = max(elapsed for elapsed, _ in warm)

    issuer.black_hole = True
    await anyio.sleep(TTL_S * 1.2)  # the keys are due for their scheduled refresh
    tokens = [
        known if i % 2 == 0 else token(issuer, f"rotated-{i}", ROTATED) for i in range(REQUESTS)
    ]
    start = time.monotonic()
    with anyio.fail_after(5 * TIMEOUT_S):  # the old code took about N x timeout
        results = await asyncio.gather(*(timed_get(api, t) for t in tokens))
    total = time.monotonic() - start

    for elapsed, r in results[0::2]:
        assert r.status_code == 200, r.text
        assert elapsed < normal + 0.25 * TIMEOUT_S
    for elapsed, r in results[1::2]:
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) >= 1
        assert elapsed < 1.5 * TIMEOUT_S
    assert total < 2 * TIMEOUT_S
    assert issuer.swallowed == 1  # one fetch for the whole burst

    # Still black-holed: a new key id is still refused within a timeout, and the cached
    # key still works.
    elapsed, r = await timed_get(api, token(issuer, "rotated-late", ROTATED))
    assert r.status_code == 503
    assert elapsed < 1.5 * TIMEOUT_S
    assert (await timed_get(api, known))[1].status_code == 200
