"""Per-principal rate limits and quotas on order creation and uploads (issue 11).

The counts live in PostgreSQL (duka/limits/buckets.py), so a limit holds across API
replicas and workers. Where the check runs:

- POST /orders, the hot path, draws one token from the principal's rate bucket and one
  from its daily quota. One UPSERT per order would add a round trip and a write of the
  same row to every order of a busy principal, serialising them on that row's lock. So
  each worker *leases* tokens: it takes a batch from PostgreSQL and spends it locally.
  A lease starts at 1 token and doubles each time the previous one was used up in time,
  up to DUKA_LIMIT_LEASE_MAX and a twentieth of the bucket, so that a quiet principal
  (a customer login: 20 tokens, leases of 1) is counted exactly while a busy one costs
  one statement per ~100 orders. Tokens not spent within `LEASE_S` lapse: a lease can
  make a limit stricter (by at most one lease per worker), never looser.
- An upload draws one token from the uploads bucket before its body is read, and its
  rows from the daily quota inside its own transaction, after its rows are stored: a
  refused or failed upload rolls its tokens back with its rows.

Limits are checked before the Idempotency-Key lookup: a replayed POST /orders spends a
token too (it is a request), a replayed upload only its upload token (its rows are
charged in the transaction that stores them, which a replay does not run).
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg

from duka.auth.principal import Principal
from duka.core.errors import PayloadTooLargeError, RateLimitedError
from duka.core.settings import Settings
from duka.db.engine import Database
from duka.limits import buckets
from duka.limits.buckets import Taken
from duka.limits.policy import Bucket, Policies, Policy

# How long leased tokens stay spendable. Short: unspent tokens lapse with the lease.
LEASE_S = 2.0
# Leases remembered per worker before expired ones are dropped.
_SWEEP_AT = 10_000


class TakeTokens(Protocol):
    async def __call__(
        self,
        conn: psycopg.AsyncConnection[Any],
        principal: str,
        wants: list[tuple[Bucket, int]],
        *,
        whole: bool,
    ) -> list[Taken]: ...


@dataclass(slots=True)
class _Lease:
    tokens: int
    size: int
    expires: float


def _limited(bucket: Bucket, retry_after_s: int) -> RateLimitedError:
    return RateLimitedError(
        f"Over your limit of {bucket.allows}; retry in {retry_after_s} s.", retry_after_s
    )


def _refused(taken: list[Taken]) -> Taken | None:
    """The refused take that frees up last, if any was refused."""
    short = [t for t in taken if t.granted == 0]
    return max(short, key=lambda t: t.retry_after_s) if short else None


class RateLimiter:
    """One per worker (the composition root makes it); the database passed per call."""

    def __init__(
        self,
        settings: Settings,
        take: TakeTokens = buckets.take,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policies = Policies.from_settings(settings)
        self.lease_max = settings.limit_lease_max
        self._take = take
        self._clock = clock
        self._leases: dict[tuple[str, str], _Lease] = {}
        # Refused principals are answered here until then (at most LEASE_S): a flood of
        # refused requests costs no statement each.
        self._blocked: dict[str, tuple[float, Bucket]] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def policy(self, principal: Principal) -> Policy:
        return self.policies.of(principal)

    async def order(self, db: Database, principal: Principal) -> None:
        """Spend one order token, or raise RateLimitedError (429)."""
        wanted = self.policy(principal).order_buckets
        if self._spend(principal.subject, wanted):
            return
        self._check_blocked(principal.subject)
        lock = self._locks.get(principal.subject)
        if lock is None:
            lock = self._locks[principal.subject] = asyncio.Lock()
        async with lock:
            # Another request may have leased while this one waited.
            if self._spend(principal.subject, wanted):
                return
            self._check_blocked(principal.subject)
            await self._lease(db, principal.subject, wanted)
            self._spend(principal.subject, wanted)

    def _check_blocked(self, subject: str) -> None:
        blocked = self._blocked.get(subject)
        if blocked is None:
            return
        until, bucket = blocked
        left = until - self._clock()
        if left <= 0:
            del self._blocked[subject]
            return
        raise _limited(bucket, max(1, math.ceil(left)))

    def _spend(self, subject: str, wanted: tuple[Bucket, ...]) -> bool:
        now = self._clock()
        leases = [self._leases.get((subject, b.name)) for b in wanted]
        for lease in leases:
            if lease is None or lease.tokens <= 0 or lease.expires <= now:
                return False
        for lease in leases:
            assert lease is not None
            lease.tokens -= 1
        return True

    def _next_size(self, bucket: Bucket, lease: _Lease | None, now: float) -> int:
        ceiling = max(1, min(self.lease_max, bucket.capacity // 20))
        if lease is None or lease.tokens > 0 or lease.expires <= now:
            return 1  # new, lapsed or not used up: this principal is not busy here
        return min(ceiling, lease.size * 2)

    async def _lease(self, db: Database, subject: str, wanted: tuple[Bucket, ...]) -> None:
        now = self._clock()
        wants: list[tuple[Bucket, int]] = []
        for bucket in wanted:
            lease = self._leases.get((subject, bucket.name))
            if lease is None or lease.tokens <= 0 or lease.expires <= now:
                wants.append((bucket, self._next_size(bucket, lease, now)))
        async with db.driver() as conn:
            taken = await self._take(conn, subject, wants, whole=False)
        if len(self._leases) > _SWEEP_AT:
            self._leases = {k: v for k, v in self._leases.items() if v.expires > now}
            self._blocked = {k: v for k, v in self._blocked.items() if v[0] > now}
        for t in taken:
            self._leases[subject, t.bucket.name] = _Lease(t.granted, t.wanted, now + LEASE_S)
        refused = _refused(taken)
        if refused is not None:
            self._blocked[subject] = (
                now + min(refused.retry_after_s, LEASE_S),
                refused.bucket,
            )
            raise _limited(refused.bucket, refused.retry_after_s)

    async def upload(self, db: Database, principal: Principal) -> None:
        """Spend one upload token, or raise RateLimitedError (429)."""
        bucket = self.policy(principal).uploads
        async with db.driver() as conn:
            taken = await self._take(conn, principal.subject, [(bucket, 1)], whole=True)
        refused = _refused(taken)
        if refused is not None:
            raise _limited(bucket, refused.retry_after_s)

    async def order_rows(
        self, conn: psycopg.AsyncConnection[Any], principal: Principal, rows: int
    ) -> None:
        """Spend `rows` order tokens at once on `conn` (in the upload's transaction), or
        raise: 413 when more than the whole quota, 429 when more than what is left."""
        bucket = self.policy(principal).orders_day
        if rows > bucket.capacity:
            raise PayloadTooLargeError(
                f"The upload holds {rows} orders, more than your quota of {bucket.allows}; "
                "split it over time. Nothing was stored."
            )
        taken = await self._take(conn, principal.subject, [(bucket, rows)], whole=True)
        refused = _refused(taken)
        if refused is not None:
            raise _limited(bucket, refused.retry_after_s)
