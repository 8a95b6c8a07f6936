"""The composition root: the lifespan opens the database and closes it again."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from api.main import create_app
from duka.core.settings import Settings
from duka.db.engine import Database

pytestmark = pytest.mark.anyio


async def test_lifespan_creates_and_disposes_the_database(settings: Settings) -> None:
    app = create_app(settings)
    assert app.state.db is None
    async with app.router.lifespan_context(app):
        db = app.state.db
        assert isinstance(db, Database)
        assert db.url.startswith("postgresql+psycopg://")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
            assert (await c.get("/readyz")).status_code == 200
        async with db.autocommit() as conn:
            assert (await conn.execute(text("SHOW TimeZone"))).scalar_one() == "UTC"
    # Disposed: the pool holds no connections any more.
    assert db.engine.pool.checkedin() == 0


async def test_lifespan_keeps_a_database_given_before_start(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings)
    app.state.db = db
    async with app.router.lifespan_context(app):
        assert app.state.db is db
