"""The two statements every SMS runs, for a group of rows, on the pool's psycopg connection.

Why: the runner records its attempts and acceptances in groups (flows/attempts.py), 8 to 9
rows a group under load, and through SQLAlchemy each statement's own work (its execution
context, the result's rows, a greenlet hop per call) cost about as much CPU as the
statement: beginning and accepting took 298 µs per row in groups of 8 that way, and 175 µs
on the psycopg connection itself (165 → 99 µs in groups of 16; in process, the two ways
alternating, 200 groups each; docs/benchmarks.md, "Order SMS").

The SQL is the outbox's own (attempts.py, reports.py), put into psycopg's placeholder style
once, by SQLAlchemy's compiler; the transactions are `Outbox.begin_attempts`' and
`Outbox.accept_many`'s: one autocommit statement, and lock, accept and link in one
transaction. Errors are psycopg's (`Outbox` turns a taken message id into its row-by-row
path; flows/send.py treats any database error before a send as transient).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.dialects.postgresql.psycopg import dialect
from sqlalchemy.sql.elements import TextClause

from duka.db.engine import Database
from duka.notifications.outbox import attempts, reports

_PSYCOPG = dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy: an untyped constructor


def _for_psycopg(statement: TextClause) -> str:
    """The statement's SQL with psycopg's placeholders (`%(name)s` for `:name`)."""
    return str(statement.compile(dialect=_PSYCOPG))


_BEGIN_ATTEMPTS = _for_psycopg(attempts.BEGIN_ATTEMPTS)
_ACCEPTED_MANY = _for_psycopg(attempts.ACCEPTED_MANY)
_LOCK_MESSAGE_IDS = _for_psycopg(reports.LOCK_MESSAGE_IDS)
_LINK_REPORTS = _for_psycopg(reports.LINK_REPORTS)


async def begin_attempts(
    db: Database, ids: Sequence[uuid.UUID], tokens: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """BEGIN_ATTEMPTS for rows (`ids[i]` under claim `tokens[i]`): the attempt number of
    each (id, token) that got one."""
    async with db.driver() as conn:
        cursor = await conn.execute(_BEGIN_ATTEMPTS, {"ids": list(ids), "tokens": list(tokens)})
        return {(row[0], row[1]): int(row[2]) for row in await cursor.fetchall()}


async def accept_many(
    db: Database,
    ids: Sequence[uuid.UUID],
    message_ids: Sequence[str | None],
    billing: dict[str, list[object]],
) -> dict[uuid.UUID, float]:
    """ACCEPTED_MANY for distinct `ids` (with their `message_ids` and ACCEPTED_MANY's
    `billing` arrays) under the message ids' locks, and the reports that came first linked
    to the rows it accepted, in one transaction: how long each accepted row's order waited,
    by id."""
    params = {"ids": list(ids), "message_ids": list(message_ids), **billing}
    async with db.driver() as conn, conn.transaction():
        if locked := reports.lock_order(message_ids):
            await conn.execute(_LOCK_MESSAGE_IDS, {"space": reports.LOCK_SPACE, "ids": locked})
        cursor = await conn.execute(_ACCEPTED_MANY, params)
        waited = {row[0]: float(row[1]) for row in await cursor.fetchall()}
        given = [(i, m) for i, m in zip(ids, message_ids, strict=True) if i in waited and m]
        if given:
            await conn.execute(
                _LINK_REPORTS, {"ids": [i for i, _ in given], "message_ids": [m for _, m in given]}
            )
    return waited
