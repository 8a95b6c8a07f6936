"""Reading PostgreSQL error details out of SQLAlchemy's wrappers."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
# What an ON DELETE RESTRICT foreign key raises (NO ACTION raises FOREIGN_KEY_VIOLATION).
RESTRICT_VIOLATION = "23001"


def sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def constraint_name(exc: DBAPIError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)
