"""Shared fixtures. Integration tests get a real PostgreSQL: the embedded server (its own
data folder and port), or DUKA_TEST_DATABASE_URL. In CI a missing database fails the run.
`db` (with `db_settings`) needs nothing else; tests that send access tokens get a real
Keycloak (tests/support/keycloak.py) through `settings`: `client` sends the demo admin's
access token, `client_as("analyst")` another user's, `anonymous_client` none. `sandbox` is
a fresh Africa's Talking sandbox per test, configured by `sandbox_config`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import text

from api.main import create_app
from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.runner import SandboxServer
from devtools.keycloak import KeycloakServer
from duka.core.settings import Settings
from duka.db.engine import Database
from tests.support.kube_apiserver import KubeApiServer

ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["tests.support.keycloak"]

if TYPE_CHECKING:
    from tests.support.keycloak import Tokens


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A clean, migrated database for the whole session (libpq URL)."""
    from duka.db import migrate
    from duka.db.embedded import EmbeddedPostgres

    configured = os.environ.get("DUKA_TEST_DATABASE_URL")
    if configured:
        url = configured
        server = None
    else:
        port = int(os.environ.get("DUKA_TEST_PG_PORT", "54330"))
        # One data folder per port, so that suites run side by side in one checkout.
        state = "test-postgres" if port == 54330 else f"test-postgres-{port}"
        server = EmbeddedPostgres(
            data_dir=ROOT / ".state" / state / "data", port=port, database="duka_test"
        )
        url = server.ensure_running()
    settings = Settings(database_url=url)
    sa_url = settings.sqlalchemy_url(url)
    migrate.downgrade(sa_url, "base")
    migrate.upgrade(sa_url)
    yield url
    if server is not None:
        server.stop()


@pytest.fixture
def db_settings(database_url: str) -> Settings:
    """Settings for tests that need the database only: no identity provider, so no Keycloak
    (and no JVM) is started for them."""
    return Settings(database_url=database_url, environment="test")


@pytest.fixture
def settings(database_url: str, keycloak: KeycloakServer) -> Settings:
    """Settings for tests that send or check access tokens: `db_settings` plus the session's
    Keycloak as the issuer."""
    # A generous key-fetch timeout: on a busy two-core machine Keycloak can take seconds.
    return Settings(
        database_url=database_url,
        environment="test",
        oidc_issuer=keycloak.issuer(),
        oidc_http_timeout_s=30,
    )


@pytest.fixture
async def db(db_settings: Settings, database_url: str) -> AsyncIterator[Database]:
    """The database, emptied before each test. Needs no Keycloak."""
    database = Database(database_url, db_settings)
    async with database.begin() as conn:
        await conn.execute(
            text(
                "TRUNCATE customers, orders, notifications, idempotency_keys, "
                "rate_limit_buckets, sms_suppressions CASCADE"
            )
        )
        await conn.execute(text("ALTER SEQUENCE customer_code_seq RESTART"))
    yield database
    await database.dispose()


ClientAs = Callable[[str | None], httpx.AsyncClient]


@pytest.fixture
async def client_as(settings: Settings, db: Database, tokens: Tokens) -> AsyncIterator[ClientAs]:
    """Clients of one app on the test database, each sending one caller's access token:
    a demo user (`admin`, `clerk`, `analyst`, `customer`), `duka-ingest`, or None for none."""
    app = create_app(settings)
    app.state.db = db
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    made: list[httpx.AsyncClient] = []

    def make(who: str | None) -> httpx.AsyncClient:
        auth = tokens.auth(who) if who is not None else None
        c = httpx.AsyncClient(transport=transport, base_url="http://duka.test", auth=auth)
        made.append(c)
        return c

    yield make
    for c in made:
        await c.aclose()


@pytest.fixture
def client(client_as: ClientAs) -> httpx.AsyncClient:
    """An HTTP client for the app, wired to the test database (no network hop), sending the
    demo admin's access token: every route is open to it."""
    return client_as("admin")


@pytest.fixture
def anonymous_client(client_as: ClientAs) -> httpx.AsyncClient:
    """A client that sends no token."""
    return client_as(None)


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    """The sandbox's configuration; a module overrides this fixture for a variant (a delivery
    report callback, faults from the start) and keeps the one `sandbox` fixture."""
    return SandboxConfig(port=0, username="sandbox", api_key="test-at-key")


@pytest.fixture
def sandbox(sandbox_config: SandboxConfig) -> Iterator[SandboxServer]:
    """A fresh local Africa's Talking sandbox for each test (empty inbox, no delivery
    reports, the configured faults) on a free 127.0.0.1 port, stopped after it.

    Point the SDK or AfricasTalkingGateway at `sandbox.base_url` with the username and API
    key in `sandbox.config`; `sandbox.state` is the live inbox and faults.
    """
    with SandboxServer(sandbox_config) as server:
        yield server


@pytest.fixture(scope="session")
def kube_apiserver() -> Iterator[KubeApiServer]:
    """A real kube-apiserver and etcd on 127.0.0.1 for the session, started on first request
    (binaries built and cached on first use: docs/kubernetes-testing.md).

    `.kubeconfig` is an admin kubeconfig path (kubectl, kubernetes client, kopf), `.http` an
    admin httpx client on `.url`, `.kubectl(...)` runs the pinned kubectl against it.
    """
    with KubeApiServer() as server:
        yield server
