"""An upload's transaction gets the longer bulk statement timeout, never a shorter one."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from duka.db.engine import Database
from duka.uploads.copy import allow_bulk_statements

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("configured_ms", "bulk_ms", "shown"),
    [
        (30_000, 300_000, "5min"),  # raised for the upload
        (30_000, 0, "0"),  # no limit asked
        (600_000, 300_000, "10min"),  # never lowered
        (0, 300_000, "0"),  # no limit configured: stays so
    ],
)
async def test_the_upload_transaction_timeout(
    db: Database, configured_ms: int, bulk_ms: int, shown: str
) -> None:
    async with db.begin() as conn:
        await conn.execute(text(f"SET LOCAL statement_timeout = {configured_ms}"))
        await allow_bulk_statements(conn, configured_ms, bulk_ms)
        assert (await conn.execute(text("SHOW statement_timeout"))).scalar_one() == shown
