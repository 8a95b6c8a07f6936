"""Storing uploaded customers: code clashes found in one query, rows written by COPY."""

from __future__ import annotations

from collections.abc import Collection, Iterator

import psycopg
from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from duka.core.errors import FieldError
from duka.customers.codes import NEXT_CODES
from duka.customers.exceptions import CustomerCodeTakenError
from duka.customers.models import Customer
from duka.uploads.copy import copy_rows
from duka.uploads.customer_rows import CustomerRow, CustomerRows
from duka.uploads.exceptions import RowErrors, UploadCodeRaceError

_c = Customer.__table__.c

# Generated numbers can meet codes that clients chose; each round draws what is missing.
_GENERATION_ROUNDS = 20


async def _taken(conn: AsyncConnection, lowered: Collection[str]) -> set[str]:
    """Which of these lower-cased codes stored customers already use (any case)."""
    if not lowered:
        return set()
    stmt = select(func.lower(_c.code)).where(
        func.lower(_c.code) == any_(bindparam("codes", list(lowered), ARRAY(String())))
    )
    return set((await conn.execute(stmt)).scalars())


async def _generated_codes(
    conn: AsyncConnection, count: int, reserved: Collection[str]
) -> list[str]:
    codes: list[str] = []
    rounds = 0
    while len(codes) < count:
        rounds += 1
        if rounds > _GENERATION_ROUNDS:
            raise CustomerCodeTakenError("(generated)")
        drawn = list((await conn.execute(NEXT_CODES, {"count": count - len(codes)})).scalars())
        clash = await _taken(conn, [code.lower() for code in drawn])
        codes += [c for c in drawn if c.lower() not in clash and c.lower() not in reserved]
    return codes


async def store_customers(conn: AsyncConnection, rows: CustomerRows, errors: RowErrors) -> int:
    """Insert every row, or raise listing every bad row (codes already in use included)."""
    first_rows = rows.first_row_of_code
    for code in await _taken(conn, first_rows.keys()):
        message = "is already in use (codes ignore case)"
        errors.add([FieldError("code", message, row=first_rows[code], code="code_taken")])
    if errors:
        raise errors.failure()
    good = rows.rows
    generated = await _generated_codes(
        conn, sum(1 for row in good if row[1] is None), first_rows.keys()
    )
    try:
        await copy_rows(
            conn, "customers", ("code", "name", "phone"), ("text",) * 3, _coded(good, generated)
        )
    except psycopg.errors.UniqueViolation as exc:
        raise UploadCodeRaceError from exc
    return len(good)


def _coded(rows: list[CustomerRow], generated: list[str]) -> Iterator[tuple[str, str, str]]:
    fresh = iter(generated)
    for _, code, name, phone in rows:
        yield (code if code is not None else next(fresh)), name, phone
