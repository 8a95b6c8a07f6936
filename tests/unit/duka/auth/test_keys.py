"""The issuer's key cache: discovery, rotation, removal, rate limits and outages."""

from __future__ import annotations

from typing import Any

import pytest

from duka.auth.keys import ASYMMETRIC_ALGORITHMS, IssuerKeys, parse_jwks
from duka.core.errors import AuthenticationError, ServiceUnavailableError
from tests.support.fake_issuer import (
    ISSUER,
    FakeIssuer,
    ec_key,
    public_jwk,
    rsa_key,
)

pytestmark = pytest.mark.anyio

KEY_A = rsa_key()
KEY_B = rsa_key()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def keys_for(issuer: FakeIssuer, clock: Clock, **limits: float) -> IssuerKeys:
    options: dict[str, Any] = {"timeout_s": 1, "ttl_s": 300, "min_refresh_s": 10} | limits
    return IssuerKeys(ISSUER, transport=issuer.transport, clock=clock, **options)


async def test_a_new_key_id_is_fetched_once_and_then_known() -> None:
    issuer, clock = FakeIssuer(), Clock()
    issuer.add(KEY_A, "a")
    keys = keys_for(issuer, clock)
    assert (await keys.key_for("a", "RS256")).kid == "a"
    # Rotation: the issuer publishes b; the first token naming b triggers one fetch.
    issuer.add(KEY_B, "b")
    clock.now += 11
    assert (await keys.key_for("b", "RS256")).kid == "b"
    assert (await keys.key_for("b", "RS256")).kid == "b"
    assert issuer.fetches() == 2


async def test_unknown_key_ids_fetch_at_most_once_per_interval() -> None:
    issuer, clock = FakeIssuer(), Clock()
    issuer.add(KEY_A, "a")
    keys = keys_for(issuer, clock, min_refresh_s=10)
    await keys.key_for("a", "RS256")
    clock.now += 11
    for forged in ("x1", "x2", "x3"):
        with pytest.raises(AuthenticationError, match="does not publish"):
            await keys.key_for(forged, "RS256")
    assert issuer.fetches() == 2  # the first forged id fetched; the others were refused
    clock.now += 11
    with pytest.raises(AuthenticationError):
        await keys.key_for("x4", "RS256")
    assert issuer.fetches() == 3


async def test_a_key_the_issuer_removed_stops_working_after_the_ttl() -> None:
    issuer, clock = FakeIssuer(), Clock()
    issuer.add(KEY_A, "a")
    issuer.add(KEY_B, "b")
    keys = keys_for(issuer, clock, ttl_s=300)
    await keys.key_for("a", "RS256")
    issuer.remove("a")
    clock.now += 299
    assert (await keys.key_for("a", "RS256")).kid == "a"  # cached until the TTL
    clock.now += 2
    # Past the TTL the keys in hand serve while the refresh runs; its result then rules.
    assert (await keys.key_for("a", "RS256")).kid == "a"
    await keys.settled()
    with pytest.raises(AuthenticationError):
        await keys.key_for("a", "RS256")
    assert (await keys.key_for("b", "RS256")).kid == "b"


async def test_an_unreachable_issuer_is_503_and_is_retried() -> None:
    issuer, clock = FakeIssuer(down=True), Clock()
    issuer.add(KEY_A, "a")
    keys = keys_for(issuer, clock)
    with pytest.raises(ServiceUnavailableError):
        await keys.key_for("a", "RS256")
    with pytest.raises(ServiceUnavailableError):
        await keys.key_for("a", "RS256")
    assert len(issuer.requests) == 1  # the retry waits a moment, not a request per call
    issuer.down = False
    clock.now += 2
    assert (await keys.key_for("a", "RS256")).kid == "a"


async def test_keys_in_hand_outlive_an_outage_at_refresh_time() -> None:
    issuer, clock = FakeIssuer(), Clock()
    issuer.add(KEY_A, "a")
    keys = keys_for(issuer, clock, ttl_s=60)
    await keys.key_for("a", "RS256")
    issuer.down = True
    clock.now += 61
    assert (await keys.key_for("a", "RS256")).kid == "a"
    await keys.settled()
    assert issuer.fetches() == 2  # the refresh failed
    assert (await keys.key_for("a", "RS256")).kid == "a"
    # A key id the cache lacks cannot be judged now: 503, not 401.
    with pytest.raises(ServiceUnavailableError):
        await keys.key_for("new", "RS256")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"metadata_issuer": "https://evil.example.test/realms/duka"}, "names issuer"),
        ({"algorithms": []}, None),
    ],
)
async def test_discovery_must_name_the_configured_issuer(
    change: dict[str, Any], problem: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    issuer, clock = FakeIssuer(**change), Clock()
    issuer.add(KEY_A, "a")
    keys = keys_for(issuer, clock)
    if problem is None:
        # Metadata without algorithms: every asymmetric algorithm stays acceptable.
        assert (await keys.key_for("a", "RS256")).kid == "a"
        assert keys.accepted_algorithms == ASYMMETRIC_ALGORITHMS
        return
    with pytest.raises(ServiceUnavailableError):
        await keys.key_for("a", "RS256")
    assert problem in caplog.text


async def test_discovery_narrows_algorithms_to_asymmetric_advertised_ones() -> None:
    issuer, clock = FakeIssuer(algorithms=["RS256", "HS256", "none"]), Clock()
    issuer.add(KEY_A, "a")
    keys = keys_for(issuer, clock)
    await keys.key_for("a", "RS256")
    assert keys.accepted_algorithms == {"RS256"}


async def test_without_a_kid_only_a_single_key_is_unambiguous() -> None:
    issuer, clock = FakeIssuer(), Clock()
    issuer.add(KEY_A, "a")
    keys = keys_for(issuer, clock)
    assert (await keys.key_for(None, "RS256")).kid == "a"
    issuer.add(KEY_B, "b")
    clock.now += 400
    await keys.key_for(None, "RS256")  # starts the scheduled refresh
    await keys.settled()
    with pytest.raises(AuthenticationError):
        await keys.key_for(None, "RS256")


def test_jwks_parsing_keeps_only_signature_keys_for_accepted_algorithms() -> None:
    ec = ec_key()
    document = {
        "keys": [
            public_jwk(KEY_A, "sig", alg="RS256", use="sig"),
            public_jwk(KEY_B, "enc", alg="RSA-OAEP", use="enc"),
            public_jwk(KEY_B, "no-alg"),
            public_jwk(ec, "ec-no-alg"),
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"},
            {"kty": "RSA", "kid": "broken", "alg": "RS256", "n": "AQAB"},
            {"kty": "EC", "kid": "odd-curve", "crv": "P-999", "x": "AA", "y": "AA"},
            {
                "kty": "OKP",
                "kid": "ed",
                "crv": "Ed25519",
                "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            },
            "not a key",
        ]
    }
    keys = parse_jwks(document, ASYMMETRIC_ALGORITHMS)
    assert set(keys) == {"sig", "no-alg", "ec-no-alg", "ed"}
    assert keys["sig"].algorithms == {"RS256"}
    assert "PS256" in keys["no-alg"].algorithms
    assert keys["ec-no-alg"].algorithms == {"ES256"}
    assert keys["ed"].algorithms == {"EdDSA"}


@pytest.mark.parametrize("document", [[], {"keys": "none"}, {}])
def test_a_jwks_without_a_key_list_is_an_error(document: Any) -> None:
    with pytest.raises(ValueError, match="no `keys` list"):
        parse_jwks(document, ASYMMETRIC_ALGORITHMS)


async def test_a_new_key_id_right_after_the_first_fetch_fetches_no_more() -> None:
    issuer, clock = FakeIssuer(), Clock()
    issuer.add(KEY_A, "a")
    keys = keys_for(issuer, clock, min_refresh_s=10)
    with pytest.raises(AuthenticationError):
        await keys.key_for("forged", "RS256")
    assert issuer.fetches() == 1
