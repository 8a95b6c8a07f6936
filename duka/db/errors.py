"""Reading PostgreSQL error details out of SQLAlchemy's wrappers, and telling an outage."""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
# What an ON DELETE RESTRICT foreign key raises (NO ACTION raises FOREIGN_KEY_VIOLATION).
RESTRICT_VIOLATION = "23001"


def sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def constraint_name(exc: DBAPIError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


def is_database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached (down, restarting, pool exhausted): worth a retry,
    not a fault of the request. REST answers 503, GraphQL INTERNAL with retryAfter."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, psycopg.OperationalError | OSError)
