"""order_groups: which failures of a group's statement send its orders back one at a time,
and which are every member's error (a fake connection; the real statements are tested on
PostgreSQL in tests/integration/api/orders/test_order_group_commit.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import psycopg
import pytest

from duka.db.engine import Database
from duka.orders.customer_snapshots import CustomerSnapshot
from duka.orders.group_commit import order_groups
from duka.orders.writes import INSERT_ORDER, INSERT_ORDERS, NewOrder, OrderWrite

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class Cursor:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    async def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    async def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class Connection:
    """Answers the order statements; the group statement raises `group_error` if set."""

    def __init__(self) -> None:
        self.group_error: psycopg.Error | None = None
        self.broken = False
        self.statements: list[str] = []

    async def execute(self, query: str, params: dict[str, Any]) -> Cursor:
        self.statements.append("group" if query == INSERT_ORDERS else "one")
        if query == INSERT_ORDERS:
            if self.group_error is not None:
                raise self.group_error
            return Cursor([(i, NOW, "pending", 0, NOW) for i in params["id"]])
        assert query == INSERT_ORDER
        return Cursor([(NOW, "pending", 0, NOW)])


class FakeDatabase:
    def __init__(self) -> None:
        self.conn = Connection()

    @asynccontextmanager
    async def driver(self) -> AsyncIterator[Connection]:
        yield self.conn


def write(item: str) -> OrderWrite:
    customer = CustomerSnapshot(uuid.uuid4(), "CUST-000001", "Jane", "+254712345678", "7")
    order = NewOrder(uuid.uuid4(), item, 1, Decimal("10.00"), "KES", NOW, "clerk")
    return OrderWrite(customer, order, f"SMS for {item}")


async def three_at_once(db: FakeDatabase) -> list[Any]:
    """Three orders submitted together (one group); each one's answer or error."""
    groups = order_groups(lambda: cast(Database, db), max_size=8)
    tasks = [asyncio.create_task(groups.submit(write(item))) for item in "abc"]
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_group_is_one_statement() -> None:
    db = FakeDatabase()
    answers = await three_at_once(db)
    assert db.conn.statements == ["group"]
    assert [a.status for a in answers] == ["pending"] * 3


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.ForeignKeyViolation("customer deleted meanwhile"),
        psycopg.errors.CheckViolation("a constraint"),
        psycopg.errors.NumericValueOutOfRange("a value"),
        psycopg.errors.DeadlockDetected("deadlock"),
    ],
)
async def test_a_group_refused_for_its_rows_is_written_one_at_a_time(error: psycopg.Error) -> None:
    db = FakeDatabase()
    db.conn.group_error = error
    answers = await three_at_once(db)
    assert db.conn.statements == ["group", "one", "one", "one"]
    assert [a.status for a in answers] == ["pending"] * 3


@pytest.mark.parametrize(
    ("error", "broken"),
    [
        (psycopg.errors.QueryCanceled("statement timeout"), False),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        # Refused for a row, but on a connection that broke meanwhile: the outcome is unknown.
        (psycopg.errors.ForeignKeyViolation("customer deleted meanwhile"), True),
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
    ],
)
async def test_any_other_failure_is_every_members_error_and_nothing_is_written_again(
    error: psycopg.Error, broken: bool
) -> None:
    db = FakeDatabase()
    db.conn.group_error = error
    db.conn.broken = broken
    answers = await three_at_once(db)
    assert db.conn.statements == ["group"]
    assert answers == [error, error, error]
