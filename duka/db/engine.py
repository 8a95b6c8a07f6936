"""The database handle: one async engine per process, created by the composition root."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

from duka.core.settings import Settings
from duka.db.embedded import for_state_dir


async def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's (started in a thread: it blocks)."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    embedded = for_state_dir(settings.state_dir, settings.embedded_pg_port)
    return await asyncio.to_thread(embedded.ensure_running)


def _psycopg(connection: Any) -> psycopg.AsyncConnection[Any]:
    if not isinstance(connection, psycopg.AsyncConnection):
        raise TypeError(f"expected a psycopg connection, got {type(connection).__name__}")
    return connection


async def driver_of(conn: AsyncConnection) -> psycopg.AsyncConnection[Any]:
    """The psycopg connection under a SQLAlchemy one (inside its transaction, if any)."""
    return _psycopg((await conn.get_raw_connection()).driver_connection)


class Database:
    def __init__(self, url: str, settings: Settings) -> None:
        self.url = settings.sqlalchemy_url(url)
        # The libpq form of the same URL, for connections outside the pool (LISTEN).
        self.libpq_url = "postgresql://" + self.url.split("://", 1)[1]
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

    @asynccontextmanager
    async def driver(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """The pool's psycopg connection itself, in autocommit, for the few hot paths where
        SQLAlchemy's per-statement work would cost more than the statement (POST /orders).

        Same pool, same connection budget. A lost connection is dropped together with the
        pool's idle ones (they share its fate when the server restarts), as SQLAlchemy does
        on a disconnect; a cancelled caller's connection is dropped (its state is unknown).
        """
        pooled = await self.engine.raw_connection()
        conn = _psycopg(pooled.driver_connection)
        try:
            await conn.set_autocommit(True)
            yield conn
            await conn.set_autocommit(False)
        except BaseException as exc:
            if conn.broken or conn.closed or not isinstance(exc, Exception):
                await greenlet_spawn(pooled.invalidate, exc)
                if not isinstance(exc, asyncio.CancelledError):
                    await self.engine.dispose()
                raise
            # A statement failed on a healthy connection: autocommit left no transaction.
            await conn.set_autocommit(False)
            raise
        finally:
            if pooled.is_valid:
                await greenlet_spawn(pooled.close)

    async def dispose(self) -> None:
        await self.engine.dispose()
