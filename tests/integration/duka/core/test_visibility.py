"""The two forms of customer visibility (api/core/visibility.py) agree: the SQL condition,
evaluated by PostgreSQL, and the Python one give the same answer on every case. Customer
codes are ASCII (CODE_PATTERN), so lower() means the same in both."""

from __future__ import annotations

import pytest
from sqlalchemy import literal, select

from duka.core.visibility import code_visible, code_visible_sql
from duka.db.engine import Database

pytestmark = pytest.mark.anyio

# (the login's customer code or None, the customer's code)
CASES = [
    (None, "CUST-000001"),
    (None, "a"),
    ("CUST-000001", "CUST-000001"),
    ("cust-000001", "CUST-000001"),
    ("CUST-000001", "cust-000001"),
    ("CuSt-000001", "cUsT-000001"),
    ("CUST-000001", "CUST-000002"),
    ("CUST-000001", "CUST-0000011"),
    ("CUST-0000011", "CUST-000001"),
    ("CUST_1", "CUST-1"),
    ("CUST.1", "CUST_1"),
    ("a", "A"),
    ("Z9", "z9"),
]


async def test_the_sql_and_python_forms_agree(db: Database) -> None:
    async with db.autocommit() as conn:
        for viewer, code in CASES:
            condition = code_visible_sql(viewer, literal(code))
            sql = (await conn.execute(select(literal(True)).where(condition))).scalar()
            assert (sql is True) == code_visible(viewer, code), (viewer, code)
