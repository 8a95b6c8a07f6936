from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from duka.core.settings import Settings
from duka.db import engine as engine_module
from duka.db.engine import Database, resolve_database_url

pytestmark = pytest.mark.anyio


async def test_a_configured_url_is_used_as_is() -> None:
    url = "postgresql://app@db.internal:5432/duka"
    assert await resolve_database_url(Settings(database_url=url)) == url


async def test_without_a_url_the_embedded_server_is_started(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[Path, int]] = []

    class FakeEmbedded:
        def ensure_running(self) -> str:
            return "postgresql://postgres@127.0.0.1:5555/duka"

    def fake_for_state_dir(state_dir: Path, port: int) -> Any:
        calls.append((state_dir, port))
        return FakeEmbedded()

    monkeypatch.setattr(engine_module, "for_state_dir", fake_for_state_dir)
    url = await resolve_database_url(Settings(state_dir=tmp_path, embedded_pg_port=5555))
    assert url == "postgresql://postgres@127.0.0.1:5555/duka"
    assert calls == [(tmp_path, 5555)]


async def test_database_engine_follows_the_settings() -> None:
    settings = Settings(db_pool_size=3, db_max_overflow=2, db_statement_timeout_ms=1234)
    db = Database("postgresql://u@h:5432/db", settings)
    try:
        assert db.url == "postgresql+psycopg://u@h:5432/db"
        assert db.engine.pool.size() == 3  # type: ignore[attr-defined]
        assert db.engine.dialect.driver == "psycopg"
    finally:
        await db.dispose()


async def test_the_libpq_form_keeps_credentials_host_and_database() -> None:
    db = Database("postgres://u:p%40ss@h:5432/db?sslmode=require", Settings())
    try:
        assert db.libpq_url == "postgresql://u:p%40ss@h:5432/db?sslmode=require"
    finally:
        await db.dispose()
