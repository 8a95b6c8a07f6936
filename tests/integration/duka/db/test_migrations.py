"""Migrations on a scratch database of the test server: up, down to nothing, up again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from api.main import create_app
from duka.core.settings import Settings
from duka.db import migrate
from duka.db.engine import Database
from duka.db.models import Base

TABLES = {
    "customers",
    "orders",
    "notifications",
    "idempotency_keys",
    "delivery_reports",
    "rate_limit_buckets",
    "sms_suppressions",
}


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    """A new, empty database next to the session one; dropped afterwards."""
    name = f"duka_migrations_{uuid.uuid4().hex[:12]}"
    admin = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def schema(sa_url: str) -> tuple[set[str], str | None, list[object]]:
    """Tables, current revision, and the differences between the models and the database."""
    engine = create_engine(sa_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
            revision = migrate.current_revision(conn)
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            sequences = inspect(conn).get_sequence_names()
    finally:
        engine.dispose()
    if "customer_code_seq" in sequences:
        tables.add("sequence:customer_code_seq")
    return tables, revision, diff


async def readyz(settings: Settings, url: str) -> httpx.Response:
    app = create_app(settings)
    app.state.db = Database(url, settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
            return await c.get("/readyz")
    finally:
        await app.state.db.dispose()


@pytest.mark.anyio
async def test_upgrade_downgrade_upgrade_round_trip(scratch_url: str, settings: Settings) -> None:
    import anyio.to_thread

    sa_url = settings.sqlalchemy_url(scratch_url)
    head = migrate.head_revision()
    assert head is not None

    tables, revision, diff = await anyio.to_thread.run_sync(schema, sa_url)
    assert (tables, revision) == (set(), None)
    assert {d[1].name for d in diff if isinstance(d, tuple) and d[0] == "add_table"} == TABLES
    not_ready = await readyz(settings, scratch_url)
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"] == {
        "database": "ok",
        "migrations": f"at None, head is {head}",
    }

    await anyio.to_thread.run_sync(migrate.upgrade, sa_url)
    tables, revision, diff = await anyio.to_thread.run_sync(schema, sa_url)
    assert tables == TABLES | {"sequence:customer_code_seq"}
    assert revision == head
    assert diff == [], "the models and the migrations disagree"
    assert (await readyz(settings, scratch_url)).status_code == 200

    await anyio.to_thread.run_sync(migrate.downgrade, sa_url, "base")
    tables, revision, _ = await anyio.to_thread.run_sync(schema, sa_url)
    assert (tables, revision) == (set(), None)
    assert (await readyz(settings, scratch_url)).status_code == 503

    await anyio.to_thread.run_sync(migrate.upgrade, sa_url)
    tables, revision, diff = await anyio.to_thread.run_sync(schema, sa_url)
    assert (tables, revision, diff) == (TABLES | {"sequence:customer_code_seq"}, head, [])
    assert (await readyz(settings, scratch_url)).status_code == 200


def test_alembic_config_escapes_percent_signs() -> None:
    cfg = migrate.alembic_config("postgresql+psycopg://u:p%40ss@h/db")
    assert cfg.get_main_option("sqlalchemy.url") == "postgresql+psycopg://u:p%40ss@h/db"
    assert cfg.get_main_option("script_location") == str(migrate.MIGRATIONS_DIR)


def test_0003_downgrades_to_0002_and_back(scratch_url: str) -> None:
    sa_url = Settings(database_url=scratch_url).sqlalchemy_url(scratch_url)

    def indexes() -> set[str]:
        engine = create_engine(sa_url)
        try:
            with engine.connect() as conn:
                return {i["name"] or "" for i in inspect(conn).get_indexes("notifications")}
        finally:
            engine.dispose()

    migrate.upgrade(sa_url, "0003")
    assert "rate_limit_buckets" in schema(sa_url)[0]
    assert "ix_notifications_pending_recipient_created_at" in indexes()
    migrate.downgrade(sa_url, "0002")
    tables, revision, _ = schema(sa_url)
    assert (revision, "rate_limit_buckets" in tables) == ("0002", False)
    assert "ix_notifications_pending_recipient_created_at" not in indexes()
    migrate.upgrade(sa_url, "0003")
    assert schema(sa_url)[1] == "0003"


def test_0005_downgrades_to_0004_and_back(scratch_url: str) -> None:
    """Suppressed notifications, which 0004 cannot hold, go down as failed with why."""
    sa_url = Settings(database_url=scratch_url).sqlalchemy_url(scratch_url)
    migrate.upgrade(sa_url, "0005")
    with psycopg.connect(scratch_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO customers (code, name, phone) VALUES ('C-1', 'A', '+254711000001')"
        )
        conn.execute(
            "INSERT INTO orders (id, customer_id, item, amount, currency, created_by) "
            "SELECT gen_random_uuid(), id, 'Tea', 5, 'KES', 't' FROM customers"
        )
        conn.execute(
            "INSERT INTO notifications (id, order_id, recipient, body, status) "
            "SELECT gen_random_uuid(), id, '+254711000001', 'Hi', 'suppressed' FROM orders"
        )
        conn.execute(
            "INSERT INTO sms_suppressions (phone, source) VALUES ('+254711000001', 'opt_out')"
        )
    migrate.downgrade(sa_url, "0004")
    tables, revision, _ = schema(sa_url)
    assert (revision, "sms_suppressions" in tables) == ("0004", False)
    with psycopg.connect(scratch_url, autocommit=True) as conn:
        row = conn.execute("SELECT status, last_error FROM notifications").fetchone()
    assert row == ("failed", "suppressed: the number was on the suppression list")
    migrate.upgrade(sa_url, "0005")
    assert schema(sa_url)[1] == "0005"


def notifications_names(sa_url: str) -> set[str]:
    """The notifications table's column and index names."""
    engine = create_engine(sa_url)
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            columns = {str(c["name"]) for c in found.get_columns("notifications")}
            return columns | {str(i["name"]) for i in found.get_indexes("notifications")}
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("revision", "previous", "name"),
    [("0006", "0005", "traceparent"), ("0007", "0006", "ix_notifications_updated_at")],
)
def test_a_revision_adds_its_part_of_notifications_and_takes_it_away(
    scratch_url: str, revision: str, previous: str, name: str
) -> None:
    sa_url = Settings(database_url=scratch_url).sqlalchemy_url(scratch_url)
    migrate.upgrade(sa_url, revision)
    assert name in notifications_names(sa_url)
    migrate.downgrade(sa_url, previous)
    assert schema(sa_url)[1] == previous
    assert name not in notifications_names(sa_url)
    migrate.upgrade(sa_url, revision)
    assert name in notifications_names(sa_url)
