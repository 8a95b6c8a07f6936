"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.main import create_app
from duka.core.settings import Settings
from duka.db import migrate
from duka.db.engine import Database

pytestmark = pytest.mark.anyio


async def test_healthz_is_ok(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


async def test_readyz_is_ok_when_migrations_are_at_head(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": migrate.head_revision()},
    }


async def test_readyz_is_503_when_the_database_cannot_be_reached(
    settings: Settings, tokens: Any
) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    unreachable = settings.model_copy(update={"db_connect_timeout_s": 1})
    app = create_app(unreachable)
    app.state.db = Database("postgresql://postgres@127.0.0.1:9/none", unreachable)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://duka.test", auth=tokens.auth("admin")
    ) as c:
        ready = await c.get("/readyz")
        alive = await c.get("/healthz")
        listing = await c.get("/api/v1/customers")
    await app.state.db.dispose()
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["checks"]["database"] == "OperationalError"
    assert alive.status_code == 200
    assert listing.status_code == 503
    assert listing.headers["content-type"] == "application/problem+json"
    assert listing.headers["retry-after"] == "5"
