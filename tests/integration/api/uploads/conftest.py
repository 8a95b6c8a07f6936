"""Fixtures for the upload tests: posting rows, seeding customers, reading the database."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from duka.db.engine import Database
from tests.integration.api.uploads.uploads_support import CUSTOMERS, Poster, Query, Seed, csv_text


@pytest.fixture
def post_body(client: httpx.AsyncClient) -> Poster:
    """POST a raw body with a Content-Type (text/csv unless told)."""

    async def post(
        path: str, body: str | bytes, content_type: str = "text/csv", **headers: str
    ) -> httpx.Response:
        content = body.encode() if isinstance(body, str) else body
        return await client.post(
            path, content=content, headers={"Content-Type": content_type, **headers}
        )

    return post


@pytest.fixture
def query(db: Database) -> Query:
    """Rows of a read-only SQL query, as dicts."""

    async def run(sql: str, **params: Any) -> list[dict[str, Any]]:
        async with db.autocommit() as conn:
            return [dict(r._mapping) for r in await conn.execute(text(sql), params)]

    return run


@pytest.fixture
def seed_customers(post_body: Poster) -> Seed:
    """Store customers CUST-000001 ... CUST-<n> (phones +2547000000NN) through the upload."""

    async def seed(n: int) -> None:
        rows = [(f"CUST-{i:06d}", f"Customer {i}", f"+2547{i:08d}") for i in range(1, n + 1)]
        r = await post_body(CUSTOMERS, csv_text(("code", "name", "phone"), rows))
        assert r.status_code == 201, r.text
        assert r.json() == {"kind": "customers", "created": n}

    return seed
