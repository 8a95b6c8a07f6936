"""Which customer rows a login sees, in its two forms side by side: SQL for queries, Python
for rows already in memory (the order path's customer snapshots). A customer's own login
sees only itself (codes compare case-insensitively); any other login sees every customer.
tests/integration/api/customers/test_visibility.py checks that the two forms agree."""

from __future__ import annotations

from sqlalchemy import func, true
from sqlalchemy.sql.elements import ColumnElement


def code_visible(viewer_code: str | None, code: str) -> bool:
    """Whether a login with customer code `viewer_code` (None: not a customer's login) sees
    the customer with code `code`."""
    return viewer_code is None or viewer_code.lower() == code.lower()


def code_visible_sql(viewer_code: str | None, code: ColumnElement[str]) -> ColumnElement[bool]:
    """`code_visible` as a WHERE condition on the column `code`; SQL true for a login that
    is not a customer's (SQLAlchemy drops it beside other conditions, as it did Python's
    True, so the statements stay as they were)."""
    if viewer_code is None:
        return true()
    return func.lower(code) == viewer_code.lower()
