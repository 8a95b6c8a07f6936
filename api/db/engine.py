"""The database handle: one async engine per process, created by the composition root."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from api.core.settings import Settings
from api.db.embedded import for_state_dir


async def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's (started in a thread: it blocks)."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    embedded = for_state_dir(settings.state_dir, settings.embedded_pg_port)
    return await asyncio.to_thread(embedded.ensure_running)


class Database:
    def __init__(self, url: str, settings: Settings) -> None:
        self.url = settings.sqlalchemy_url(url)
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_s,
            # No pre-ping: it costs a round trip per checkout. A dead connection raises once,
            # SQLAlchemy then invalidates the whole pool, and the next request reconnects.
            pool_pre_ping=False,
            connect_args={
                "connect_timeout": settings.db_connect_timeout_s,
                # UTC sessions: timestamps read back look the same whatever the server's zone.
                "options": (
                    f"-c statement_timeout={settings.db_statement_timeout_ms} -c TimeZone=UTC"
                ),
                "application_name": "duka",
            },
        )
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """No transaction: for reads and for single statements, which are atomic by themselves."""
        async with self._autocommit.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
