"""Keyset pagination of customers: no gaps, no repeats, even while rows are being added."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from duka.core.pagination import encode_cursor
from duka.db.engine import Database

pytestmark = pytest.mark.anyio

Problem = Callable[[httpx.Response, int, str], dict[str, Any]]
TRUNCATED_CURSOR = encode_cursor(datetime.fromisoformat("2026-01-01T00:00Z"), uuid.UUID(int=1))[:-3]


async def seed_in_one_transaction(db: Database, n: int, prefix: str) -> list[str]:
    """n customers sharing one created_at (now() is the transaction's start): ties on purpose."""
    async with db.begin() as conn:
        rows = await conn.execute(
            text(
                "INSERT INTO customers (code, name, phone) "
                "SELECT :prefix || g, 'Seeded ' || g, '+254712345678' "
                "FROM generate_series(1, :n) AS g RETURNING id"
            ),
            {"prefix": prefix, "n": n},
        )
        return [str(r.id) for r in rows]


async def fetch_all(
    client: httpx.AsyncClient, limit: int, between_pages: Any = None
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        r = await client.get("/api/v1/customers", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        assert len(page["items"]) == limit
        if between_pages is not None:
            await between_pages()


def sort_key(c: dict[str, Any]) -> tuple[datetime, str]:
    return datetime.fromisoformat(c["created_at"]), c["id"]


async def test_pages_cover_every_row_once_in_order_including_ties(
    client: httpx.AsyncClient, db: Database
) -> None:
    tied = await seed_in_one_transaction(db, 13, "T-")
    later = await seed_in_one_transaction(db, 4, "L-")
    seen = await fetch_all(client, limit=5)
    ids = [c["id"] for c in seen]
    assert len(ids) == len(set(ids)) == 17
    assert set(ids) == set(tied) | set(later)
    assert seen == sorted(seen, key=sort_key)
    # Ties are broken by id; a UUID string sorts like the UUID PostgreSQL compares.
    assert [c["id"] for c in seen[:13]] == sorted(tied)


async def test_exact_multiple_of_the_limit_ends_with_a_null_cursor(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seed_in_one_transaction(db, 6, "E-")
    first = (await client.get("/api/v1/customers", params={"limit": 3})).json()
    second = (
        await client.get("/api/v1/customers", params={"limit": 3, "cursor": first["next_cursor"]})
    ).json()
    assert len(first["items"]) == len(second["items"]) == 3
    assert second["next_cursor"] is None


async def test_empty_table_is_one_empty_page(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/customers")).json() == {"items": [], "next_cursor": None}


async def test_rows_inserted_during_paging_never_cause_gaps_or_repeats(
    client: httpx.AsyncClient, db: Database
) -> None:
    initial = set(await seed_in_one_transaction(db, 20, "A-"))
    initial |= set(await seed_in_one_transaction(db, 20, "B-"))
    stop = asyncio.Event()
    added: list[str] = []

    async def writer() -> None:
        # Bounded, so that the reader (4 rows a page) always catches up and paging ends.
        n = 0
        while not stop.is_set() and n < 25:
            n += 1
            r = await client.post(
                "/api/v1/customers", json={"name": f"Concurrent {n}", "phone": "0712345678"}
            )
            assert r.status_code == 201, r.text
            added.append(r.json()["id"])
            await asyncio.sleep(0)

    between = 0

    async def insert_between_pages() -> None:
        nonlocal between
        between += 1
        if between <= 12:
            added.extend(await seed_in_one_transaction(db, 2, f"M{between}-"))

    task = asyncio.create_task(writer())
    try:
        seen = await fetch_all(client, limit=4, between_pages=insert_between_pages)
    finally:
        stop.set()
        await task
    ids = [c["id"] for c in seen]
    assert len(ids) == len(set(ids)), "a row was returned twice"
    assert initial <= set(ids), "a row that existed before paging started was skipped"
    assert set(ids) <= initial | set(added)
    assert added, "the concurrent writer never ran"
    assert between >= 9
    assert seen == sorted(seen, key=sort_key)


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", "0"]').decode(),
        base64.urlsafe_b64encode(json.dumps({"a": 1}).encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        TRUNCATED_CURSOR,
    ],
)
async def test_corrupted_cursor_is_422_naming_cursor(
    client: httpx.AsyncClient, cursor: str, problem: Problem
) -> None:
    body = problem(
        await client.get("/api/v1/customers", params={"cursor": cursor}), 422, "validation-error"
    )
    assert [e["field"] for e in body["errors"]] == ["cursor"]


async def test_overlong_cursor_is_refused_before_decoding(
    client: httpx.AsyncClient, problem: Problem
) -> None:
    body = problem(
        await client.get("/api/v1/customers", params={"cursor": "A" * 513}),
        422,
        "validation-error",
    )
    assert [e["field"] for e in body["errors"]] == ["query.cursor"]
