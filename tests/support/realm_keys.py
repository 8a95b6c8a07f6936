"""Signing keys of our own in the session Keycloak's realm, through its admin API.

The private keys are generated at test time and never stored: Keycloak publishes the public
half in the realm's JWKS, so tokens signed here are as real to the API as Keycloak's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devtools.keycloak import REALM
from devtools.keycloak_api import AdminApi

Mint = Callable[..., str]


@dataclass(frozen=True)
class RealmKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    component_id: str


def kid_of(admin: AdminApi, component_id: str) -> str:
    for key in admin.get(f"/{REALM}/keys")["keys"]:
        if key.get("providerId") == component_id and key.get("use") == "SIG":
            return str(key["kid"])
    raise AssertionError(f"no signing key from component {component_id}")


def add_key_provider(
    admin: AdminApi, name: str, provider: str, priority: int, **config: str
) -> str:
    """Add an active RS256 key provider to the realm; return its component id."""
    realm_id = admin.get(f"/{REALM}")["id"]
    settings = {"priority": str(priority), "enabled": "true", "active": "true"} | config
    created = admin.post(
        f"/{REALM}/components",
        {
            "name": name,
            "providerId": provider,
            "providerType": "org.keycloak.keys.KeyProvider",
            "parentId": realm_id,
            "config": {k: [v] for k, v in settings.items()},
        },
    )
    return admin.created_id(created)


def add_rsa_key(admin: AdminApi, name: str, priority: int) -> RealmKey:
    """A private key generated here, made an active RS256 key of the realm."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    component_id = add_key_provider(admin, name, "rsa", priority, algorithm="RS256", privateKey=pem)
    return RealmKey(kid_of(admin, component_id), key, component_id)


def remove_key_provider(admin: AdminApi, component_id: str) -> None:
    admin.delete(f"/{REALM}/components/{component_id}")
