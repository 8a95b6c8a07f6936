"""/readyz reads the migrations' head once per process, at start, not per call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from api.main import create_app
from duka.core.settings import Settings
from duka.db import migrate

pytestmark = pytest.mark.anyio

HEAD = migrate.head_revision()


class FakeConnection:
    async def run_sync(self, fn: Callable[[Any], Any]) -> str | None:
        return HEAD


class FakeDatabase:
    """Answers the current revision as the head; no I/O."""

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[FakeConnection]:
        yield FakeConnection()

    async def dispose(self) -> None:
        return None


async def test_readyz_does_not_load_the_script_directory_per_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0
    real = migrate.head_revision

    def counting() -> str | None:
        nonlocal calls
        calls += 1
        return real()

    monkeypatch.setattr(migrate, "head_revision", counting)
    app = create_app(Settings())
    app.state.db = FakeDatabase()
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c,
    ):
        at_start = calls
        for _ in range(5):
            r = await c.get("/readyz")
            assert r.status_code == 200, r.text
            assert r.json()["checks"]["migrations"] == HEAD
    assert at_start == 1
    assert calls == 1
