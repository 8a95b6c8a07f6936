"""Fixtures for the SMS flow tests: the session's Prefect server (tests/support/prefect.py),
an emptied database, and a fresh Africa's Talking sandbox per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.runner import SandboxServer
from duka.core.settings import Settings
from duka.db.engine import Database
from tests.support.prefect import prefect_server, pytest_collection_finish, pytest_unconfigure

__all__ = ["prefect_server", "pytest_collection_finish", "pytest_unconfigure"]

SANDBOX_KEY = "flows-test-key"


@pytest.fixture
async def outbox_db(database_url: str) -> AsyncIterator[Database]:
    """The test database, emptied before each test."""
    database = Database(database_url, Settings(database_url=database_url, environment="test"))
    async with database.begin() as conn:
        await conn.execute(
            text("TRUNCATE customers, orders, notifications, idempotency_keys CASCADE")
        )
    yield database
    await database.dispose()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox (empty inbox, no faults, no delivery reports) on a free port."""
    with SandboxServer(SandboxConfig(port=0, api_key=SANDBOX_KEY)) as server:
        yield server
