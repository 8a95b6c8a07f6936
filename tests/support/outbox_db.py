"""The `outbox_db` fixture: the test database, emptied before each test, with no Keycloak.

Shared by the outbox's own tests (tests/integration/duka/notifications) and the flows'
(tests/integration/flows): each conftest imports it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from duka.core.settings import Settings
from duka.db.engine import Database


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
