"""Hearing new outbox rows: LISTEN on the channel the order inserts NOTIFY.

A dedicated connection, reconnected with backoff. Every (re)connection also counts as a
wake-up, since rows may have been stored while nobody listened.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

from duka.notifications.wakeup import CHANNEL

log = logging.getLogger(__name__)

BACKOFF_MAX_S = 30.0


class WakeListener:
    def __init__(self, database_url: str, on_wake: Callable[[], None]) -> None:
        self._url = database_url
        self._on_wake = on_wake
        self.listening = asyncio.Event()

    async def run(self) -> None:
        """Listen until cancelled."""
        backoff = 0.5
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True, application_name="duka-sms-runner"
                )
                async with conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
                    backoff = 0.5
                    self.listening.set()
                    self._on_wake()
                    async for _ in conn.notifies():
                        self._on_wake()
            except (psycopg.Error, OSError) as exc:
                log.warning("LISTEN connection lost (%s); reconnecting in %.1f s", exc, backoff)
            self.listening.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)
