"""Token verification against an in-memory issuer with locally generated keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from duka.auth.keys import IssuerKeys
from duka.auth.tokens import MAX_TOKEN_CHARS, TokenVerifier
from duka.core.errors import AuthenticationError
from duka.core.settings import Settings
from tests.support.fake_issuer import AUDIENCE, ISSUER, FakeIssuer, claims, ec_key, rsa_key, sign

pytestmark = pytest.mark.anyio

RSA_KEY = rsa_key()
OTHER_RSA_KEY = rsa_key()
EC_KEY = ec_key()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(obj: dict[str, Any]) -> str:
    return b64(json.dumps(obj).encode())


@pytest.fixture
def issuer() -> FakeIssuer:
    fake = FakeIssuer()
    fake.add(RSA_KEY, "rsa-1", alg="RS256", use="sig")
    fake.add(EC_KEY, "ec-1", alg="ES256")
    return fake


def verifier_for(issuer: FakeIssuer, **settings: Any) -> TokenVerifier:
    configured = Settings(oidc_issuer=ISSUER, oidc_audience=AUDIENCE, **settings)
    return TokenVerifier.from_settings(configured, transport=issuer.transport)


async def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthenticationError) as caught:
        await verifier.verify(token)
    assert caught.value.token_given
    return caught.value.detail


async def test_a_valid_token_gives_its_subject_roles_and_client(issuer: FakeIssuer) -> None:
    verifier = verifier_for(issuer)
    verified = await verifier.verify(sign(claims(), RSA_KEY, "rsa-1"))
    assert verified.subject == claims()["sub"]
    assert verified.roles == {"customers:read", "orders:read", "staff", "offline_access"}
    assert verified.client_id == "duka-cli"
    assert verified.customer_code is None
    # Discovery once, keys once; the next token costs no fetch at all.
    await verifier.verify(sign(claims(sub="other"), RSA_KEY, "rsa-1"))
    assert issuer.fetches("/openid-configuration") == 1
    assert issuer.fetches() == 1


async def test_ec_keys_and_the_rfc9068_token_type_are_accepted(issuer: FakeIssuer) -> None:
    token = sign(claims(typ="at+jwt"), EC_KEY, "ec-1", alg="ES256", typ="at+jwt")
    assert (await verifier_for(issuer).verify(token)).subject == claims()["sub"]


async def test_roles_fall_back_to_keycloak_realm_access(issuer: FakeIssuer) -> None:
    token = sign(claims(roles=None, realm_access={"roles": ["orders:write", 7]}), RSA_KEY, "rsa-1")
    assert (await verifier_for(issuer).verify(token)).roles == {"orders:write"}


async def test_roles_of_the_wrong_shape_count_as_none(issuer: FakeIssuer) -> None:
    token = sign(claims(roles="admin"), RSA_KEY, "rsa-1")
    assert (await verifier_for(issuer).verify(token)).roles == frozenset()


async def test_customer_code_comes_from_its_claim(issuer: FakeIssuer) -> None:
    token = sign(claims(customer_code="CUST-000001"), RSA_KEY, "rsa-1")
    assert (await verifier_for(issuer).verify(token)).customer_code == "CUST-000001"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": -60}, "expired"),
        ({"nbf": 120}, "not valid yet"),
        ({"iat": 120}, "not valid yet"),
        ({"iss": "https://sso.example.test/realms/other"}, "another issuer"),
        ({"aud": "account"}, "not meant for this API"),
        ({"aud": None}, "lacks the aud claim"),
        ({"exp": None}, "lacks the exp claim"),
        ({"sub": None}, "lacks the sub claim"),
        ({"sub": ""}, "subject is empty"),
        ({"typ": "ID"}, "not an access token"),
        ({"typ": "Refresh"}, "not an access token"),
        ({"customer_code": ["CUST-1", "CUST-2"]}, "customer_code claim is malformed"),
        ({"exp": "tomorrow"}, "not valid"),
    ],
)
async def test_claims_are_checked(
    issuer: FakeIssuer, overrides: dict[str, Any], reason: str
) -> None:
    # Times are given relative to now (the parameters are made at collection time).
    now = int(time.time())
    changes = {
        k: now + v if k in {"exp", "nbf", "iat"} and isinstance(v, int) else v
        for k, v in overrides.items()
    }
    detail = await refused(verifier_for(issuer), sign(claims(**changes), RSA_KEY, "rsa-1"))
    assert reason in detail


@pytest.mark.parametrize(
    ("skew", "reason"), [({"exp": -5}, "expired"), ({"nbf": 5}, "not valid yet")]
)
async def test_leeway_covers_small_clock_skew(
    issuer: FakeIssuer, skew: dict[str, int], reason: str
) -> None:
    now = int(time.time())
    token = sign(claims(**{k: now + v for k, v in skew.items()}), RSA_KEY, "rsa-1")
    assert (await verifier_for(issuer, oidc_leeway_s=10).verify(token)).subject
    assert reason in await refused(verifier_for(issuer, oidc_leeway_s=0), token)


async def test_a_token_signed_by_an_unpublished_key_is_refused(issuer: FakeIssuer) -> None:
    detail = await refused(verifier_for(issuer), sign(claims(), OTHER_RSA_KEY, "rsa-1"))
    assert "signature does not verify" in detail


async def test_a_tampered_payload_is_refused(issuer: FakeIssuer) -> None:
    header, _, signature = sign(claims(), RSA_KEY, "rsa-1").split(".")
    forged = f"{header}.{segment(claims(roles=['admin']))}.{signature}"
    assert "signature does not verify" in await refused(verifier_for(issuer), forged)


async def test_alg_none_is_refused_before_any_key_lookup(issuer: FakeIssuer) -> None:
    token = f"{segment({'alg': 'none', 'typ': 'JWT', 'kid': 'rsa-1'})}.{segment(claims())}."
    assert "algorithm is not accepted" in await refused(verifier_for(issuer), token)
    assert issuer.requests == []


async def test_hs256_signed_with_the_public_key_is_refused(issuer: FakeIssuer) -> None:
    # The classic algorithm confusion: HMAC keyed with the (public) RSA key's PEM.
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': 'rsa-1'})}.{segment(claims())}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64(mac)}"
    assert "algorithm is not accepted" in await refused(verifier_for(issuer), token)


async def test_an_algorithm_the_issuer_does_not_advertise_is_refused(issuer: FakeIssuer) -> None:
    verifier = verifier_for(issuer)
    await verifier.verify(sign(claims(), RSA_KEY, "rsa-1"))  # discovery has run
    token = sign(claims(), RSA_KEY, "rsa-1", alg="PS512")
    assert "does not sign with" in await refused(verifier, token)


async def test_an_algorithm_other_than_the_keys_is_refused(issuer: FakeIssuer) -> None:
    token = sign(claims(), RSA_KEY, "rsa-1", alg="PS256")
    assert "does not match its signing key" in await refused(verifier_for(issuer), token)


@pytest.mark.parametrize("typ", ["JWS", "dpop+jwt", "secevent+jwt"])
async def test_other_header_types_are_refused(issuer: FakeIssuer, typ: str) -> None:
    token = sign(claims(), RSA_KEY, "rsa-1", typ=typ)
    assert "not an access token" in await refused(verifier_for(issuer), token)


async def test_a_header_without_typ_is_accepted(issuer: FakeIssuer) -> None:
    token = sign(claims(), RSA_KEY, "rsa-1", typ=None)
    assert (await verifier_for(issuer).verify(token)).subject


@pytest.mark.parametrize(
    "token",
    ["not-a-jwt", "a.b.c", "x" * 50, f"{segment({'alg': 'RS256'})[:-2]}.e30.sig", ""],
)
async def test_malformed_tokens_are_refused(issuer: FakeIssuer, token: str) -> None:
    assert await refused(verifier_for(issuer), token)


async def test_an_oversized_token_is_refused_unparsed(issuer: FakeIssuer) -> None:
    token = "a" * (MAX_TOKEN_CHARS + 1)
    assert "too long" in await refused(verifier_for(issuer), token)


async def test_a_header_with_a_non_string_kid_is_refused(issuer: FakeIssuer) -> None:
    _, payload, _ = sign(claims(), RSA_KEY, "rsa-1").split(".")
    signing_input = f"{segment({'alg': 'RS256', 'typ': 'JWT', 'kid': 42})}.{payload}"
    signature = RSA_KEY.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    token = f"{signing_input}.{b64(signature)}"
    assert "not a well-formed JWT" in await refused(verifier_for(issuer), token)


async def test_from_settings_uses_the_development_issuer_by_default() -> None:
    verifier = TokenVerifier.from_settings(Settings(oidc_dev_port=8999))
    assert verifier.issuer == "http://127.0.0.1:8999/realms/duka"
    assert isinstance(verifier.keys, IssuerKeys)
    assert verifier.audience == "duka-api"


@pytest.mark.parametrize("azp", ["duka-operator", "someone-elses-client", None])
async def test_a_token_issued_to_a_client_outside_the_allow_list_is_refused(
    issuer: FakeIssuer, azp: str | None
) -> None:
    # The audience alone says the token is for this API, not that one of our clients asked.
    verifier = verifier_for(issuer)
    detail = await refused(verifier, sign(claims(azp=azp), RSA_KEY, "rsa-1"))
    assert "client" in detail


async def test_the_client_allow_list_is_a_setting(issuer: FakeIssuer) -> None:
    verifier = verifier_for(issuer, oidc_allowed_clients=["partner-portal"])
    verified = await verifier.verify(sign(claims(azp="partner-portal"), RSA_KEY, "rsa-1"))
    assert verified.client_id == "partner-portal"
    await refused(verifier, sign(claims(azp="duka-cli"), RSA_KEY, "rsa-1"))
