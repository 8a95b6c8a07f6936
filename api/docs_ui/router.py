"""Self-hosted Swagger UI: no CDN, no inline script, strict CSP, login through the issuer.

The page logs in with Authorization Code + PKCE (a public client, no secret): Swagger UI
opens the issuer's login in a popup, which comes back to /docs/oauth2-redirect; that page
hands the code to the opener, which swaps it for a token at the issuer's token endpoint.
So the docs page may connect to the issuer's origin, keeps its opener across that popup
(COOP same-origin-allow-popups), and the redirect page itself sets no opener policy.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.auth.principal import BEARER_SCHEME
from duka.core.settings import Settings

VENDOR_DIR = Path(fastapi_offline.__file__).parent / "static"
OWN_DIR = Path(__file__).parent / "static"
LOGIN_SCHEME = "keycloak"


def _page(title: str, body: str, head: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>{head}</head>{body}</html>"
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def docs_csp(issuer: str) -> str:
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {_origin(issuer)}; font-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


REDIRECT_CSP = (
    "default-src 'none'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def login_scheme(issuer: str) -> dict[str, Any]:
    # Keycloak's endpoint paths: the docs' OAuth2 flow is spelled out rather than left to
    # OpenID discovery, which would make Swagger UI offer every grant the server knows.
    endpoints = f"{issuer}/protocol/openid-connect"
    return {
        "type": "oauth2",
        "description": "Log in through Keycloak (Authorization Code with PKCE).",
        "flows": {
            "authorizationCode": {
                "authorizationUrl": f"{endpoints}/auth",
                "tokenUrl": f"{endpoints}/token",
                "scopes": {"openid": "OpenID Connect sign-in"},
            }
        },
    }


def _add_login(schema: dict[str, Any], issuer: str) -> None:
    """Offer the Keycloak login wherever the bearer token is accepted."""
    schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    if LOGIN_SCHEME in schemes:
        return
    schemes[LOGIN_SCHEME] = login_scheme(issuer)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            security = operation.get("security") if isinstance(operation, dict) else None
            if security and {BEARER_SCHEME: []} in security:
                security.append({LOGIN_SCHEME: ["openid"]})


def mount(app: FastAPI, settings: Settings) -> None:
    openapi_url = escape(app.openapi_url or "/openapi.json", quote=True)
    client_id = escape(settings.oidc_docs_client_id, quote=True)
    issuer = settings.oidc_issuer_url
    title = app.title
    router = APIRouter(include_in_schema=False)
    page_headers = {
        "Content-Security-Policy": docs_csp(issuer),
        "Cross-Origin-Opener-Policy": "same-origin-allow-popups",
    }

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(
            _page(
                f"{title} - API docs",
                f'<body data-openapi-url="{openapi_url}" data-oauth-client-id="{client_id}">'
                '<div id="swagger-ui"></div>'
                '<script src="/docs/vendor/swagger-ui-bundle.js"></script>'
                '<script src="/docs/assets/swagger-init.js"></script></body>',
                '<link rel="stylesheet" href="/docs/vendor/swagger-ui.css">'
                '<link rel="icon" href="/docs/vendor/favicon.png">',
            ),
            headers=page_headers,
        )

    @router.get("/docs/oauth2-redirect")
    async def oauth2_redirect() -> FileResponse:
        return FileResponse(
            OWN_DIR / "oauth2-redirect.html",
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Security-Policy": REDIRECT_CSP,
                # The popup must keep its opener to hand the code back.
                "Cross-Origin-Opener-Policy": "unsafe-none",
            },
        )

    app.include_router(router)
    app.mount("/docs/vendor", StaticFiles(directory=VENDOR_DIR), name="docs-vendor")
    app.mount("/docs/assets", StaticFiles(directory=OWN_DIR), name="docs-assets")

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        _add_login(schema, issuer)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
