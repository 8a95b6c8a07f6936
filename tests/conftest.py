"""Shared fixtures. Integration tests get a real PostgreSQL: the embedded server (its own
data folder and port), or DUKA_TEST_DATABASE_URL. In CI a missing database fails the run."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import httpx
from sqlalchemy import text

from api.core.settings import Settings
from api.db.engine import Database
from api.main import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A clean, migrated database for the whole session (libpq URL)."""
    from api.db import migrate
    from api.db.embedded import EmbeddedPostgres

    configured = os.environ.get("DUKA_TEST_DATABASE_URL")
    if configured:
        url = configured
        server = None
    else:
        server = EmbeddedPostgres(
            data_dir=ROOT / ".state" / "test-postgres" / "data",
            port=int(os.environ.get("DUKA_TEST_PG_PORT", "54330")),
            database="duka_test",
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
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment="test")


@pytest.fixture
async def db(settings: Settings, database_url: str) -> AsyncIterator[Database]:
    """The database, emptied before each test."""
    database = Database(database_url, settings)
    async with database.begin() as conn:
        await conn.execute(
            text("TRUNCATE customers, orders, notifications, idempotency_keys CASCADE")
        )
        await conn.execute(text("ALTER SEQUENCE customer_code_seq RESTART"))
    yield database
    await database.dispose()


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, wired to the test database (no network hop)."""
    app = create_app(settings)
    app.state.db = db
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
        yield c
