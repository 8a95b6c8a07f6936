"""Talking to the development Keycloak: demo users' tokens and the admin REST API.

The names and secrets mirror deploy/keycloak/duka-realm.json; all are fake, for local use.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

# The dev-only public client with the password grant (tests and curl; see docs/security.md).
CLI_CLIENT = "duka-cli"
INGEST_CLIENT = "duka-ingest"
INGEST_SECRET = "dev-ingest-secret-not-for-production"  # noqa: S105
OPERATOR_CLIENT = "duka-operator"
OPERATOR_SECRET = "dev-operator-secret-not-for-production"  # noqa: S105


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    roles: tuple[str, ...]
    customer_code: str | None = None


DEMO_USERS = {
    u.username: u
    for u in (
        DemoUser("admin", "admin-dev-password", ("admin",)),
        DemoUser(
            "clerk",
            "clerk-dev-password",
            ("customers:read", "customers:write", "orders:read", "orders:write", "staff"),
        ),
        DemoUser("analyst", "analyst-dev-password", ("customers:read", "orders:read", "staff")),
        DemoUser(
            "customer",
            "customer-dev-password",
            ("customers:read", "orders:read", "orders:write"),
            customer_code="CUST-000001",
        ),
    )
}


def token_url(issuer: str) -> str:
    return f"{issuer}/protocol/openid-connect/token"


def password_grant(issuer: str, username: str, password: str, client_id: str = CLI_CLIENT) -> Any:
    """The token response for a user (the password grant: development only)."""
    response = httpx.post(
        token_url(issuer),
        data={
            "grant_type": "password",
            "client_id": client_id,
            "username": username,
            "password": password,
            "scope": "openid",
        },
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def client_credentials_grant(issuer: str, client_id: str, secret: str) -> Any:
    response = httpx.post(
        token_url(issuer),
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def curl_for_token(issuer: str, username: str = "clerk") -> str:
    """A shell line that puts a demo user's access token in $TOKEN (development only)."""
    user = DEMO_USERS[username]
    return (
        f"TOKEN=$(curl -s {token_url(issuer)} -d grant_type=password -d client_id={CLI_CLIENT} "
        f"-d username={user.username} -d password={user.password} "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
    )


def dev_summary(issuer: str, api_base: str) -> list[str]:
    """What `make dev` prints about the login side of the stack."""
    users = ", ".join(
        f"{u.username}/{u.password}" + (f" (customer {u.customer_code})" if u.customer_code else "")
        for u in DEMO_USERS.values()
    )
    return [
        f"  OIDC issuer  {issuer}  (realm duka)",
        f"  Demo users   {users}",
        f"  Machine      {INGEST_CLIENT} / {INGEST_SECRET} (client credentials)",
        f"  Get a token  {curl_for_token(issuer)}",
        f'  Use it       curl -H "Authorization: Bearer $TOKEN" {api_base}/api/v1/customers',
    ]


@dataclass
class AdminApi:
    """The admin REST API as the master realm's bootstrap administrator."""

    base_url: str
    user: str
    password: str
    _token: str | None = field(default=None, init=False, repr=False)
    _expires_at: float = field(default=0.0, init=False, repr=False)

    def _bearer(self) -> str:
        if self._token is None or time.monotonic() > self._expires_at:
            answer = password_grant(
                f"{self.base_url}/realms/master", self.user, self.password, client_id="admin-cli"
            )
            self._token = str(answer["access_token"])
            # Renew well before the master realm's one-minute token lifespan runs out.
            self._expires_at = time.monotonic() + float(answer["expires_in"]) / 2
        return self._token

    def request(self, method: str, path: str, json: Any = None) -> httpx.Response:
        response = httpx.request(
            method,
            f"{self.base_url}/admin/realms{path}",
            json=json,
            headers={"Authorization": f"Bearer {self._bearer()}"},
            timeout=60,
        )
        response.raise_for_status()
        return response

    def get(self, path: str) -> Any:
        return self.request("GET", path).json()

    def post(self, path: str, json: Any) -> httpx.Response:
        return self.request("POST", path, json)

    def put(self, path: str, json: Any) -> httpx.Response:
        return self.request("PUT", path, json)

    def delete(self, path: str) -> httpx.Response:
        return self.request("DELETE", path)

    def created_id(self, response: httpx.Response) -> str:
        """The id at the end of a 201 answer's Location header."""
        return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


# The pages that log in with the docs client, by the path Keycloak redirects back to.
BROWSER_REDIRECT_PATHS = ("/docs/oauth2-redirect", "/graphql")


def ensure_docs_redirect(admin: AdminApi, api_base: str, client_id: str = "duka-swagger") -> None:
    """Let Swagger UI and GraphiQL at api_base log in: the realm file only knows port 8000."""
    (client,) = admin.get(f"/duka/clients?clientId={client_id}")
    missing = [
        f"{api_base}{path}"
        for path in BROWSER_REDIRECT_PATHS
        if f"{api_base}{path}" not in client["redirectUris"]
    ]
    if missing:
        client["redirectUris"].extend(missing)
        admin.put(f"/duka/clients/{client['id']}", client)
