"""GraphiQL in a real browser (headless chromium): a demo user logs in through the real
Keycloak with Authorization Code + PKCE, runs a query and a subscription against the API
served by uvicorn on the real database, and the page reports no CSP violation, no console
error and no uncaught exception; the code never stays in the address bar and the token
stays in the tab's sessionStorage."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import DEMO_USERS, AdminApi, ensure_docs_redirect
from duka.core.settings import Settings
from duka.db.engine import Database
from tests.support.browser import Page, browser_page
from tests.support.keycloak import Tokens
from tests.support.sms_flows import LiveApi

pytestmark = pytest.mark.anyio  # for the async `db` fixture; the browser calls block

USER = "analyst"
EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
RESULT = "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"


@pytest.fixture
def api(settings: Settings, db: Database) -> Iterator[LiveApi]:
    with LiveApi(settings) as live:
        yield live


def seed(base: str, tokens: Tokens) -> str:
    """A customer with one order, made over REST by the demo admin: the order's id."""
    with httpx.Client(base_url=base, auth=tokens.auth("admin"), timeout=30) as http:
        r = http.post(
            "/api/v1/customers",
            json={"code": "GQL-UI", "name": "Wanjiku Browser", "phone": "0712000009"},
        )
        assert r.status_code == 201, r.text
        r = http.post(
            "/api/v1/orders", json={"customer_code": "GQL-UI", "item": "Chai", "amount": "5"}
        )
        assert r.status_code == 201, r.text
        order_id: str = r.json()["id"]
        return order_id


def run_in_graphiql(page: Page, operation: str, expect: str) -> str:
    page.evaluate(f"{EDITOR}.setValue({json.dumps(operation)})")
    page.evaluate("document.querySelector('.graphiql-execute-button').click()")
    deadline = time.monotonic() + page.timeout
    result = ""
    while expect not in result:
        assert time.monotonic() < deadline, f"no {expect!r} in {result!r}: {page.console()}"
        time.sleep(0.2)
        result = page.evaluate(RESULT)
    return result


def log_in(page: Page, keycloak: KeycloakServer, base: str) -> None:
    page.goto(f"{base}/graphql")
    page.wait_for("!document.getElementById('login').hidden")
    page.evaluate("document.getElementById('login').click()")
    page.wait_for(
        f"location.href.startsWith({json.dumps(keycloak.issuer())}) "
        "&& !!document.getElementById('kc-form-login')"
    )
    user = DEMO_USERS[USER]
    page.evaluate(
        f"document.getElementById('username').value = {json.dumps(user.username)};"
        f"document.getElementById('password').value = {json.dumps(user.password)};"
        "document.getElementById('kc-login').click()"
    )
    page.wait_for(
        f"location.href === {json.dumps(base + '/graphql')} "
        "&& !!document.querySelector('.graphiql-query-editor .CodeMirror')"
    )


async def test_a_demo_user_logs_in_and_runs_a_query_and_a_subscription(
    api: LiveApi, keycloak: KeycloakServer, keycloak_admin: AdminApi, tokens: Tokens
) -> None:
    base = f"http://127.0.0.1:{api.port}"
    ensure_docs_redirect(keycloak_admin, base)  # this port's /graphql, as `make dev` does
    order_id = seed(base, tokens)
    with browser_page() as page:
        log_in(page, keycloak, base)
        status = page.evaluate("document.getElementById('status').textContent")
        assert f"Logged in as {USER}" in status
        assert page.evaluate("location.search") == ""  # the code left the address bar
        token = page.evaluate("sessionStorage.getItem('duka.graphiql.token')")
        assert token
        assert token.count(".") == 2
        assert token not in page.evaluate("JSON.stringify(localStorage)")
        assert token not in page.evaluate("document.cookie")

        listed = run_in_graphiql(
            page, "{ orders(first: 5) { nodes { item customer { name } } } }", "Wanjiku Browser"
        )
        assert json.loads(listed)["data"]["orders"]["nodes"] == [
            {"item": "Chai", "customer": {"name": "Wanjiku Browser"}}
        ]
        # Over graphql-transport-ws, the token in connection_init: the current state first.
        pushed = run_in_graphiql(
            page,
            f'subscription {{ orderNotification(orderId: "{order_id}") {{ status }} }}',
            "PENDING",
        )
        assert json.loads(pushed)["data"]["orderNotification"]["status"] == "PENDING"

        assert page.evaluate("window.__cspViolations") == []
        console = page.console()
        assert not [line for line in console if "Content Security Policy" in line], console
        assert not [line for line in console if line.startswith(("error", "exception"))], console
