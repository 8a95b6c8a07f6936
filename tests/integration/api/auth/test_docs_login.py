"""Swagger UI's login: the OpenAPI scheme, the pages' headers, and the realm's docs client
walked through Authorization Code + PKCE against the real Keycloak, as the browser would."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import DEMO_USERS, token_url
from tests.support.api_routes import CALLBACK_PATHS

pytestmark = pytest.mark.anyio

ClientAs = Callable[[str | None], httpx.AsyncClient]
DOCS_ORIGIN = "http://127.0.0.1:8000"
REDIRECT_URI = f"{DOCS_ORIGIN}/docs/oauth2-redirect"
CLIENT_ID = "duka-swagger"
# Keycloak answers in milliseconds, but on a busy two-core machine a first page can take
# seconds (httpx's default timeout is 5 s).
TIMEOUT = 60


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(keycloak: KeycloakServer, browser: httpx.Client, **params: str) -> httpx.Response:
    query = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "state-123",
    } | params
    return browser.get(f"{keycloak.issuer()}/protocol/openid-connect/auth?{urlencode(query)}")


def log_in(browser: httpx.Client, login_page: httpx.Response, username: str) -> httpx.Response:
    assert login_page.status_code == 200, login_page.text[:500]
    form = re.search(r'<form[^>]*id="kc-form-login"[^>]*>', login_page.text)
    assert form is not None, "no login form"
    action = re.search(r'action="([^"]+)"', form.group(0))
    assert action is not None
    user = DEMO_USERS[username]
    # Keycloak marks its session cookies Secure; browsers send those to http://127.0.0.1
    # (a trustworthy origin), httpx's cookie jar does not, so they are passed by hand.
    cookies = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
    return browser.post(
        html.unescape(action.group(1)),
        data={"username": user.username, "password": user.password, "credentialId": ""},
        headers={"Cookie": cookies},
    )


def code_from(answer: httpx.Response) -> dict[str, list[str]]:
    assert answer.status_code == 302, answer.text[:500]
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return parse_qs(urlsplit(location).query)


def exchange(keycloak: KeycloakServer, code: str, verifier: str) -> httpx.Response:
    # What Swagger UI's fetch sends from the docs page (so CORS must allow the docs origin).
    return httpx.post(
        token_url(keycloak.issuer()),
        timeout=TIMEOUT,
        data={
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        headers={"Origin": DOCS_ORIGIN},
    )


def browser_login(keycloak: KeycloakServer, username: str) -> tuple[dict[str, Any], str]:
    verifier, challenge = pkce_pair()
    with httpx.Client(follow_redirects=False, timeout=TIMEOUT) as browser:
        page = authorize(keycloak, browser, code_challenge=challenge, code_challenge_method="S256")
        params = code_from(log_in(browser, page, username))
    assert params["state"] == ["state-123"]
    return params, verifier


async def test_a_demo_user_logs_in_with_pkce_and_calls_the_api(
    client_as: ClientAs, keycloak: KeycloakServer
) -> None:
    params, verifier = browser_login(keycloak, "analyst")
    answer = exchange(keycloak, params["code"][0], verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == DOCS_ORIGIN
    token = answer.json()["access_token"]
    api = client_as(None)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/api/v1/orders", headers=headers)).status_code == 200
    assert (await api.post("/api/v1/orders", headers=headers, json={})).status_code == 403


def test_the_code_is_useless_without_its_verifier(keycloak: KeycloakServer) -> None:
    params, _ = browser_login(keycloak, "clerk")
    other_verifier, _ = pkce_pair()
    answer = exchange(keycloak, params["code"][0], other_verifier)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_the_docs_client_requires_pkce_s256(keycloak: KeycloakServer) -> None:
    with httpx.Client(follow_redirects=False, timeout=TIMEOUT) as browser:
        without = authorize(keycloak, browser)
        plain = authorize(keycloak, browser, code_challenge="x" * 43, code_challenge_method="plain")
    for answer in (without, plain):
        params = code_from(answer)
        assert params["error"] == ["invalid_request"]


def test_the_docs_client_redirects_only_to_the_docs(keycloak: KeycloakServer) -> None:
    _, challenge = pkce_pair()
    with httpx.Client(follow_redirects=False, timeout=TIMEOUT) as browser:
        answer = authorize(
            keycloak,
            browser,
            redirect_uri="https://attacker.example/steal",
            code_challenge=challenge,
            code_challenge_method="S256",
        )
    assert answer.status_code == 400
    assert "redirect_uri" in answer.text.lower() or "redirect uri" in answer.text.lower()


async def test_openapi_offers_the_keycloak_login_on_api_routes_only(
    client_as: ClientAs, keycloak: KeycloakServer
) -> None:
    spec = (await client_as(None).get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    flow = schemes["keycloak"]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == f"{keycloak.issuer()}/protocol/openid-connect/auth"
    assert flow["tokenUrl"] == f"{keycloak.issuer()}/protocol/openid-connect/token"
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearer"]["description"],
    }
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            security = operation.get("security") or []
            if path.startswith("/api/v1/") and path not in CALLBACK_PATHS:
                assert security == [{"bearer": []}, {"keycloak": ["openid"]}], path
            else:
                assert {"bearer": []} not in security, path
                assert {"keycloak": ["openid"]} not in security, path


async def test_the_docs_pages_allow_the_login_and_nothing_more(
    client_as: ClientAs, keycloak: KeycloakServer
) -> None:
    c = client_as(None)
    page = await c.get("/docs")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert f"connect-src 'self' {keycloak.base_url};" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["cross-origin-opener-policy"] == "same-origin-allow-popups"
    assert 'data-oauth-client-id="duka-swagger"' in page.text

    redirect = await c.get("/docs/oauth2-redirect", params={"code": "c", "state": "s"})
    assert redirect.status_code == 200
    assert redirect.headers["content-type"].startswith("text/html")
    assert redirect.headers["cross-origin-opener-policy"] == "unsafe-none"
    assert redirect.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in redirect.headers["content-security-policy"]
    scripts = re.findall(r"<script[^>]*>", redirect.text)
    assert scripts == ['<script src="/docs/assets/oauth2-redirect.js">']
    handoff = await c.get("/docs/assets/oauth2-redirect.js")
    assert "swaggerUIRedirectOauth2" in handoff.text
    init = await c.get("/docs/assets/swagger-init.js")
    assert "usePkceWithAuthorizationCodeGrant: true" in init.text
