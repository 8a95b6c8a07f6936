"""Pure logic for KeycloakClient: validating a spec, the client representation Keycloak
should hold, and which of its fields have drifted from that."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from duka_operator.errors import RefusedError

# Marks clients the operator manages: it touches a client only when both attributes name it
# and the very resource (namespace/name/uid) asking, so a resource named after someone else's
# client never takes it over.
MANAGED_BY_ATTRIBUTE = "duka.dev/managed-by"
MANAGED_BY = "duka-operator"
OWNER_ATTRIBUTE = "duka.dev/owner"
# On the resource: "true" asks to take over an existing client of that clientId; the
# operator's settings must list the clientId too (adoption needs both sides to agree).
ADOPT_ANNOTATION = "duka.dev/adopt-existing-client"


class InvalidSpecError(RefusedError):
    """A spec the operator cannot act on; retrying will not help until it is edited."""

    reason = "InvalidSpec"


class ClientProtectedError(InvalidSpecError):
    """The clientId is on the operator's deny-list: never created, changed or deleted."""

    reason = "ClientProtected"


class ClientOwnedElsewhereError(InvalidSpecError):
    """A client of that clientId exists and is not this resource's (nor adoptable)."""

    reason = "ClientOwnedElsewhere"


def owner_value(namespace: str, name: str, uid: str) -> str:
    """The ownership attribute's value: a resource recreated under the same name differs."""
    return f"{namespace}/{name}/{uid}"


def check_not_protected(client_id: str, protected: frozenset[str]) -> None:
    if client_id in protected:
        raise ClientProtectedError(
            f"client {client_id!r} is on the operator's deny-list and is never managed"
        )


def is_owned(actual: Mapping[str, Any], owner: str) -> bool:
    attributes = actual.get("attributes") or {}
    return bool(
        attributes.get(MANAGED_BY_ATTRIBUTE) == MANAGED_BY
        and attributes.get(OWNER_ATTRIBUTE) == owner
    )


def check_ownership(
    actual: Mapping[str, Any],
    owner: str,
    adoption_requested: bool,
    adoptable: frozenset[str],
) -> None:
    """Passes when an existing client may be managed: it is this resource's, or its adoption
    is asked for on the resource and allowed by the operator's settings (the caller then
    writes the ownership attributes). Raises ClientOwnedElsewhereError otherwise."""
    if is_owned(actual, owner):
        return
    client_id = str(actual.get("clientId"))
    # Which resource holds it stays unsaid: it may live in a namespace the reader cannot see.
    holder = (actual.get("attributes") or {}).get(MANAGED_BY_ATTRIBUTE) == MANAGED_BY
    where = "managed for another resource" if holder else "not created by this operator"
    if not adoption_requested:
        raise ClientOwnedElsewhereError(
            f"client {client_id!r} already exists ({where}); to take it over, annotate the "
            f"resource {ADOPT_ANNOTATION}=true and allow it in the operator's settings"
        )
    if client_id not in adoptable:
        raise ClientOwnedElsewhereError(
            f"client {client_id!r} already exists ({where}) and the operator's settings do "
            "not allow adopting it (DUKA_OPERATOR_ADOPTABLE_CLIENT_IDS)"
        )


def validate_spec(spec: Mapping[str, Any], operator_realm: str) -> None:
    """The rules the CRD's CEL also enforces, plus those only the operator knows."""
    public = bool(spec.get("publicClient", False))
    service_account = bool(spec.get("serviceAccount", False))
    if not spec.get("realm") or not spec.get("clientId"):
        raise InvalidSpecError("spec.realm and spec.clientId are required")
    if spec["realm"] != operator_realm:
        raise InvalidSpecError(
            f"spec.realm {spec['realm']!r}: this operator manages realm {operator_realm!r} only"
        )
    if public and service_account:
        raise InvalidSpecError("a public client cannot have a service account")
    if public and spec.get("credentialsSecret"):
        raise InvalidSpecError("a public client has no credentials: drop credentialsSecret")
    granted = set(spec.get("serviceAccountRoles") or [])
    if granted and not service_account:
        raise InvalidSpecError("serviceAccountRoles needs serviceAccount: true")
    unknown = sorted(granted - set(spec.get("roles") or []))
    if unknown:
        raise InvalidSpecError(f"serviceAccountRoles not listed in roles: {', '.join(unknown)}")
    for uri in spec.get("redirectUris") or []:
        if "*" in uri[:-1]:
            raise InvalidSpecError(f"redirect URI {uri!r}: a wildcard is allowed only at the end")


def credentials_secret_name(name: str, spec: Mapping[str, Any]) -> str | None:
    """Where a confidential client's credentials go (None for a public client)."""
    if spec.get("publicClient"):
        return None
    return str(spec.get("credentialsSecret") or name)


def desired_client(spec: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """The Keycloak ClientRepresentation fields the operator owns (others are left alone)."""
    public = bool(spec.get("publicClient", False))
    return {
        "clientId": spec["clientId"],
        "name": spec.get("name", spec["clientId"]),
        "description": spec.get("description", ""),
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": public,
        "clientAuthenticatorType": "client-secret",
        "standardFlowEnabled": bool(spec.get("standardFlow", True)),
        "serviceAccountsEnabled": bool(spec.get("serviceAccount", False)) and not public,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "redirectUris": sorted(spec.get("redirectUris") or []),
        "webOrigins": sorted(spec.get("webOrigins") or []),
        "attributes": {MANAGED_BY_ATTRIBUTE: MANAGED_BY, OWNER_ATTRIBUTE: owner},
    }


def drifted_fields(desired: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """Names of the owned fields whose value in Keycloak differs from the desired one."""
    drift = []
    for key, want in desired.items():
        have = actual.get(key)
        if key == "attributes":
            have_attrs = have or {}
            if any(have_attrs.get(k) != v for k, v in want.items()):
                drift.append(key)
        elif isinstance(want, list):
            if sorted(have or []) != want:
                drift.append(key)
        elif key == "description":
            if (have or "") != want:
                drift.append(key)
        elif have != want:
            drift.append(key)
    return drift


def merged_client(desired: Mapping[str, Any], actual: Mapping[str, Any]) -> dict[str, Any]:
    """The actual representation with the owned fields restored (attributes merged)."""
    merged = {**actual, **desired}
    merged["attributes"] = {**(actual.get("attributes") or {}), **desired["attributes"]}
    return merged


def endpoints(keycloak_url: str, realm: str) -> dict[str, str]:
    issuer = f"{keycloak_url.rstrip('/')}/realms/{realm}"
    return {"issuer": issuer, "tokenEndpoint": f"{issuer}/protocol/openid-connect/token"}
