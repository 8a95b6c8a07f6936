"""The token buckets in PostgreSQL: one UPSERT takes tokens from one or more buckets.

Each bucket is a row (duka/limits/models.py) keyed by principal and bucket name. Taking
refills it for the time since its last take, caps it at its capacity and hands out what it
can, all in the one statement, under the row's lock: replicas and workers share it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from duka.limits.policy import Bucket

# The refilled level of an existing row, before this take.
_LEVEL = (
    "least(EXCLUDED.capacity, b.tokens + "
    "greatest(extract(epoch FROM now() - b.updated_at)::float8, 0) * EXCLUDED.refill_per_s)"
)
# Partial grants for leases; all or nothing (`whole`) for an upload's rows.
_GRANT = (
    f"CASE WHEN %(whole)s AND {_LEVEL} < EXCLUDED.granted THEN 0 "
    f"ELSE least(EXCLUDED.granted, floor({_LEVEL}))::int END"
)
TAKE = f"""
INSERT INTO rate_limit_buckets AS b
    (principal, bucket, capacity, refill_per_s, tokens, granted, updated_at)
SELECT %(principal)s, x.bucket, x.capacity, x.refill, x.capacity - x.want, x.want, now()
FROM unnest(%(buckets)s::text[], %(capacities)s::float8[], %(refills)s::float8[],
            %(wants)s::int[]) AS x(bucket, capacity, refill, want)
ON CONFLICT (principal, bucket) DO UPDATE SET
    granted = {_GRANT},
    tokens = {_LEVEL} - {_GRANT},
    capacity = EXCLUDED.capacity,
    refill_per_s = EXCLUDED.refill_per_s,
    updated_at = now()
RETURNING bucket, granted, tokens
"""  # noqa: S608 - constants only


@dataclass(frozen=True, slots=True)
class Taken:
    bucket: Bucket
    wanted: int
    granted: int
    tokens_left: float

    @property
    def retry_after_s(self) -> int:
        """Whole seconds until the bucket holds what was wanted (at least 1)."""
        missing = max(self.wanted - self.tokens_left, 0.0)
        return max(1, math.ceil(missing / self.bucket.refill_per_s))


async def take(
    conn: psycopg.AsyncConnection[Any],
    principal: str,
    wants: Sequence[tuple[Bucket, int]],
    *,
    whole: bool,
) -> list[Taken]:
    """Take up to `want` tokens from each bucket (each `want` at most its capacity)."""
    cursor = await conn.execute(
        TAKE,
        {
            "principal": principal,
            "buckets": [b.name for b, _ in wants],
            "capacities": [float(b.capacity) for b, _ in wants],
            "refills": [b.refill_per_s for b, _ in wants],
            "wants": [want for _, want in wants],
            "whole": whole,
        },
    )
    rows = {row[0]: (int(row[1]), float(row[2])) for row in await cursor.fetchall()}
    return [Taken(b, want, *rows[b.name]) for b, want in wants]
