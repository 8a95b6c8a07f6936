"""Verified tokens are remembered until they expire, and never outlive their signing key."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from duka.auth.keys import IssuerKeys
from duka.auth.tokens import TokenVerifier
from duka.core.errors import AuthenticationError
from tests.support.fake_issuer import (
    AUDIENCE,
    ISSUER,
    FakeIssuer,
    claims,
    rsa_key,
    sign,
)

pytestmark = pytest.mark.anyio

KEY_A = rsa_key()
KEY_B = rsa_key()


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class CountingDecode:
    """Wraps jwt.decode to count the full signature checks."""

    def __init__(self) -> None:
        self.calls = 0
        self._decode = jwt.decode

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self._decode(*args, **kwargs)


@pytest.fixture
def decode(monkeypatch: pytest.MonkeyPatch) -> CountingDecode:
    counting = CountingDecode()
    monkeypatch.setattr(jwt, "decode", counting)
    return counting


@pytest.fixture
def issuer() -> FakeIssuer:
    fake = FakeIssuer()
    fake.add(KEY_A, "a", alg="RS256")
    fake.add(KEY_B, "b", alg="RS256")
    return fake


def make_verifier(
    issuer: FakeIssuer,
    *,
    cache_size: int = 16,
    clock: Clock | None = None,
    keys_clock: Clock | None = None,
) -> TokenVerifier:
    keys = IssuerKeys(
        ISSUER,
        timeout_s=1,
        ttl_s=300,
        min_refresh_s=10,
        transport=issuer.transport,
        clock=keys_clock or Clock(),
    )
    return TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        leeway_s=0,
        keys=keys,
        allowed_clients=frozenset({"duka-cli"}),
        cache_size=cache_size,
        clock=clock or Clock(),
    )


async def test_a_repeated_token_is_checked_once(issuer: FakeIssuer, decode: CountingDecode) -> None:
    verifier = make_verifier(issuer)
    token = sign(claims(), KEY_A, "a")
    first = await verifier.verify(token)
    second = await verifier.verify(token)
    assert second is first
    assert decode.calls == 1


async def test_a_remembered_token_is_checked_again_once_it_has_expired(
    issuer: FakeIssuer, decode: CountingDecode
) -> None:
    clock = Clock()
    verifier = make_verifier(issuer, clock=clock)
    token = sign(claims(exp=int(clock.now) + 60), KEY_A, "a")
    await verifier.verify(token)
    clock.now += 61
    # The full check uses the real time, so the token still passes it: what counts here is
    # that the remembered answer was not used past `exp`.
    await verifier.verify(token)
    assert decode.calls == 2


async def test_a_remembered_token_stops_working_when_its_key_is_removed(
    issuer: FakeIssuer,
) -> None:
    keys_clock = Clock()
    verifier = make_verifier(issuer, keys_clock=keys_clock)
    token = sign(claims(), KEY_A, "a")
    await verifier.verify(token)
    issuer.remove("a")
    keys_clock.now += 301  # the key set's TTL: the next use starts a refresh
    await verifier.verify(token)  # served from the keys in hand while the refresh runs
    await verifier.keys.settled()
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="key the issuer does not publish"):
            await verifier.verify(token)
    # Tokens of the remaining key still pass.
    assert (await verifier.verify(sign(claims(), KEY_B, "b"))).subject


async def test_a_refreshed_key_set_checks_the_token_again(
    issuer: FakeIssuer, decode: CountingDecode
) -> None:
    keys_clock = Clock()
    verifier = make_verifier(issuer, keys_clock=keys_clock)
    token = sign(claims(), KEY_A, "a")
    await verifier.verify(token)
    keys_clock.now += 301
    await verifier.verify(token)  # starts the refresh
    await verifier.keys.settled()
    await verifier.verify(token)  # same key material, but a new key object: checked fully
    await verifier.verify(token)
    assert decode.calls == 2


async def test_the_oldest_token_is_forgotten_first_when_full(
    issuer: FakeIssuer, decode: CountingDecode
) -> None:
    verifier = make_verifier(issuer, cache_size=2)
    one, two, three = (sign(claims(sub=f"user-{n}"), KEY_A, "a") for n in range(3))
    for token in (one, two, three):
        await verifier.verify(token)
    assert decode.calls == 3
    await verifier.verify(three)
    await verifier.verify(two)
    assert decode.calls == 3
    await verifier.verify(one)
    assert decode.calls == 4


async def test_size_zero_checks_every_request(issuer: FakeIssuer, decode: CountingDecode) -> None:
    verifier = make_verifier(issuer, cache_size=0)
    token = sign(claims(), KEY_A, "a")
    await verifier.verify(token)
    await verifier.verify(token)
    assert decode.calls == 2


async def test_refused_tokens_are_not_remembered(
    issuer: FakeIssuer, decode: CountingDecode
) -> None:
    verifier = make_verifier(issuer)
    token = sign(claims(aud="someone-else"), KEY_A, "a")
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="not meant for this API"):
            await verifier.verify(token)
    assert decode.calls == 2
