"""The docs' OAuth2 login: the scheme added to OpenAPI and the page's CSP."""

from __future__ import annotations

from typing import Any

from api.docs_ui.router import LOGIN_SCHEME, _add_login, docs_csp, login_scheme

ISSUER = "http://127.0.0.1:8180/realms/duka"


def test_the_login_uses_the_issuers_authorization_code_endpoints() -> None:
    flow = login_scheme(ISSUER)["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == f"{ISSUER}/protocol/openid-connect/auth"
    assert flow["tokenUrl"] == f"{ISSUER}/protocol/openid-connect/token"
    assert "openid" in flow["scopes"]


def test_login_is_offered_where_a_bearer_token_is_accepted_and_only_there() -> None:
    schema: dict[str, Any] = {
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/api/v1/orders": {"get": {"security": [{"bearer": []}]}, "parameters": []},
            "/healthz": {"get": {}},
        },
    }
    _add_login(schema, ISSUER)
    _add_login(schema, ISSUER)  # idempotent: the schema is generated once and cached
    assert schema["paths"]["/api/v1/orders"]["get"]["security"] == [
        {"bearer": []},
        {LOGIN_SCHEME: ["openid"]},
    ]
    assert "security" not in schema["paths"]["/healthz"]["get"]
    assert schema["components"]["securitySchemes"][LOGIN_SCHEME]["type"] == "oauth2"


def test_the_docs_page_may_connect_to_the_issuer_origin_only() -> None:
    csp = docs_csp("https://sso.example.com:8443/realms/duka")
    assert "connect-src 'self' https://sso.example.com:8443;" in csp
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
