"""Keycloak admin calls, authenticated as the operator's own service-account client (client
credentials grant in the managed realm; never the master realm's administrator)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection, urls_patterns
from keycloak.exceptions import KeycloakDeleteError, KeycloakGetError, raise_error_from_response

from duka_operator.keycloak_spec import (
    check_ownership,
    desired_client,
    drifted_fields,
    is_owned,
    merged_client,
)
from duka_operator.settings import OperatorSettings


@asynccontextmanager
async def admin_session(settings: OperatorSettings) -> AsyncIterator[KeycloakAdmin]:
    connection = KeycloakOpenIDConnection(
        server_url=settings.keycloak_url,
        realm_name=settings.keycloak_realm,
        user_realm_name=settings.keycloak_realm,
        client_id=settings.keycloak_client_id,
        client_secret_key=settings.keycloak_client_secret.get_secret_value(),
        grant_type="client_credentials",
        timeout=15,
    )
    try:
        await connection.a_get_token()
        yield KeycloakAdmin(connection=connection)
    finally:
        await connection.aclose()


async def find_client(admin: KeycloakAdmin, client_id: str) -> dict[str, Any] | None:
    internal_id = await admin.a_get_client_id(client_id)
    if internal_id is None:
        return None
    client: dict[str, Any] = await admin.a_get_client(internal_id)
    return client


async def ensure_client(
    admin: KeycloakAdmin,
    spec: dict[str, Any],
    owner: str,
    adoption_requested: bool = False,
    adoptable: frozenset[str] = frozenset(),
) -> tuple[str, list[str]]:
    """Creates or restores the client; its internal id and the fields that were restored.

    An existing client is touched only when it is this resource's (or explicitly adoptable):
    check_ownership raises before any update, role or secret call."""
    desired = desired_client(spec, owner)
    actual = await find_client(admin, spec["clientId"])
    if actual is None:
        # No skip_exists: a client created meanwhile by someone else answers 409 (retried,
        # then found and checked above), never silently adopted.
        internal_id = await admin.a_create_client(desired)
        restored = ["created"]
    else:
        check_ownership(actual, owner, adoption_requested, adoptable)
        internal_id = str(actual["id"])
        restored = drifted_fields(desired, actual)
        if restored:
            await admin.a_update_client(internal_id, merged_client(desired, actual))
    await ensure_roles(admin, internal_id, spec)
    return str(internal_id), restored


async def ensure_roles(admin: KeycloakAdmin, internal_id: str, spec: dict[str, Any]) -> None:
    wanted = list(spec.get("roles") or [])
    if wanted:
        existing = {r["name"] for r in await admin.a_get_client_roles(internal_id)}
        for role in wanted:
            if role not in existing:
                await admin.a_create_client_role(internal_id, {"name": role}, skip_exists=True)
    granted = list(spec.get("serviceAccountRoles") or [])
    if granted and spec.get("serviceAccount") and not spec.get("publicClient"):
        user = await admin.a_get_client_service_account_user(internal_id)
        have = {r["name"] for r in await admin.a_get_client_roles_of_user(user["id"], internal_id)}
        missing = [r for r in granted if r not in have]
        if missing:
            roles = [await admin.a_get_client_role(internal_id, r) for r in missing]
            await admin.a_assign_client_role(user["id"], internal_id, roles)


async def client_secret(admin: KeycloakAdmin, internal_id: str) -> str:
    answer = await admin.a_get_client_secrets(internal_id)
    return str(answer["value"])


def _rotated_url(admin: KeycloakAdmin, internal_id: str) -> str:
    path = {"realm-name": admin.connection.realm_name, "id": internal_id}
    return urls_patterns.URL_ADMIN_CLIENT_SECRETS.format(**path) + "/rotated"


async def rotated_secret(admin: KeycloakAdmin, internal_id: str) -> str | None:
    """The previous secret kept valid by Keycloak's client-secret rotation policy, if any."""
    answer = await admin.connection.a_raw_get(_rotated_url(admin, internal_id))
    if answer.status_code == 404:
        return None
    found = raise_error_from_response(answer, KeycloakGetError)
    value = found.get("value") if isinstance(found, dict) else None
    return str(value) if value else None


async def rotate_secret(admin: KeycloakAdmin, internal_id: str) -> str:
    """A new secret; under the rotation policy the old one stays valid as the rotated one."""
    answer = await admin.a_generate_client_secrets(internal_id)
    return str(answer["value"])


async def drop_rotated_secret(admin: KeycloakAdmin, internal_id: str) -> None:
    """Ends the grace period: the previous secret stops working now."""
    answer = await admin.connection.a_raw_delete(_rotated_url(admin, internal_id))
    raise_error_from_response(answer, KeycloakDeleteError, expected_codes=[200, 204, 404])


async def delete_client(admin: KeycloakAdmin, client_id: str, owner: str) -> str:
    """Deletes the client if it is this resource's: "deleted", "already absent" or, for a
    client someone else owns, "not owned, left in place"."""
    actual = await find_client(admin, client_id)
    if actual is None:
        return "already absent"
    if not is_owned(actual, owner):
        return "not owned, left in place"
    await admin.a_delete_client(str(actual["id"]))
    return "deleted"
