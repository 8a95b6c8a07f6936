"""PostgreSQL COPY from Python rows, inside the caller's SQLAlchemy transaction."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from psycopg import postgres, pq, sql
from psycopg.adapt import Buffer, Dumper
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from duka.db.engine import driver_of

# Version 4 in the high nibble of byte 6, the RFC 4122 variant in the top bits of byte 8,
# as uuid.uuid4() sets them; every other bit is random.
_VERSION_4 = bytes((b & 0x0F) | 0x40 for b in range(256))
_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))


def ascending_uuid4s(count: int) -> list[bytes]:
    """`count` random version-4 UUIDs (as their 16 bytes), sorted.

    Rows copied in ascending key order add to the end of each primary-key index (and of
    indexes that lead with the key, such as notifications.order_id) instead of at random
    pages, which makes a large COPY markedly cheaper for PostgreSQL. The ids are as random
    as uuid4()'s; only the order in which they are handed out differs.
    """
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_VARIANT)
    return sorted(bytes(raw[i : i + 16]) for i in range(0, len(raw), 16))


class _UuidBytesDumper(Dumper):
    """A uuid given as its 16 bytes, which is PostgreSQL's binary form of a uuid: sent as
    they are, with no uuid.UUID object made (or taken apart) per row."""

    oid = postgres.types["uuid"].oid
    format = pq.Format.BINARY

    def dump(self, obj: Buffer) -> Buffer | None:
        return obj


async def allow_bulk_statements(conn: AsyncConnection, configured_ms: int, bulk_ms: int) -> None:
    """Raise the statement timeout to `bulk_ms` for the rest of this transaction (never
    lower it; 0 means no limit). A COPY lasts as long as its rows take to stream, and one
    upload may hold 200,000 rows: the per-statement limit is meant for single requests."""
    if configured_ms > 0 and (bulk_ms == 0 or configured_ms < bulk_ms):
        await conn.execute(select(func.set_config("statement_timeout", str(bulk_ms), True)))


async def copy_rows(
    conn: AsyncConnection,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> None:
    """COPY `rows` into `table` in binary format (no text escaping, no parsing on the server).

    Values of "uuid" columns are their 16 bytes (`uuid.UUID.bytes`), not uuid.UUID objects.
    `rows` may be a generator: rows are produced while PostgreSQL consumes the previous
    ones, so Python's work overlaps the server's.
    """
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    pg = await driver_of(conn)
    async with pg.cursor() as cursor:
        # Only for columns typed by set_types() below, and only on this cursor.
        cursor.adapters.register_dumper(None, _UuidBytesDumper)
        async with cursor.copy(statement) as copy:
            copy.set_types(types)
            for row in rows:
                await copy.write_row(row)
