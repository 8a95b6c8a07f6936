"""The dev helpers against the session's real Keycloak."""

from __future__ import annotations

import pytest

from devtools.keycloak import REALM
from devtools.keycloak_api import AdminApi, ensure_docs_redirect


@pytest.fixture
def swagger_client_id(keycloak_admin: AdminApi) -> str:
    (client,) = keycloak_admin.get(f"/{REALM}/clients?clientId=duka-swagger")
    return str(client["id"])


def test_docs_on_another_port_get_their_redirect_uri_once(
    keycloak_admin: AdminApi, swagger_client_id: str
) -> None:
    ensure_docs_redirect(keycloak_admin, "http://127.0.0.1:8123")
    ensure_docs_redirect(keycloak_admin, "http://127.0.0.1:8123")
    uris = keycloak_admin.get(f"/{REALM}/clients/{swagger_client_id}")["redirectUris"]
    assert uris.count("http://127.0.0.1:8123/docs/oauth2-redirect") == 1
    assert "http://127.0.0.1:8000/docs/oauth2-redirect" in uris


def test_the_admin_api_renews_its_token(keycloak_admin: AdminApi) -> None:
    keycloak_admin._expires_at = 0.0  # as if the master realm's minute had passed
    assert keycloak_admin.get(f"/{REALM}")["realm"] == REALM
