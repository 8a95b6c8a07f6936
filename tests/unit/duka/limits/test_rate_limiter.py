"""The limiter's leases and answers, on an in-memory bucket store (no database)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from duka.auth.principal import Principal
from duka.core.errors import PayloadTooLargeError, RateLimitedError
from duka.core.settings import Settings
from duka.limits.buckets import Taken
from duka.limits.policy import Bucket, Policies
from duka.limits.service import LEASE_S, RateLimiter

pytestmark = pytest.mark.anyio

STAFF = Principal(subject="clerk-1", roles=frozenset({"orders:write"}))
CUSTOMER = Principal(subject="cust-1", roles=frozenset({"orders:write"}), customer_code="C-1")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Buckets:
    """Token buckets as the UPSERT keeps them, on the test's clock; counts the statements."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rows: dict[tuple[str, str], tuple[float, float]] = {}  # tokens, at
        self.statements = 0
        self.last_wants: dict[str, int] = {}

    async def __call__(
        self, conn: Any, principal: str, wants: list[tuple[Bucket, int]], *, whole: bool
    ) -> list[Taken]:
        self.statements += 1
        self.last_wants = {bucket.name: want for bucket, want in wants}
        out = []
        for bucket, want in wants:
            tokens, at = self.rows.get((principal, bucket.name), (bucket.capacity, self.clock.now))
            level = min(bucket.capacity, tokens + (self.clock.now - at) * bucket.refill_per_s)
            granted = 0 if whole and level < want else min(want, int(level))
            self.rows[principal, bucket.name] = (level - granted, self.clock.now)
            out.append(Taken(bucket, want, granted, level - granted))
        return out

    def used(self, principal: str, name: str, capacity: int) -> float:
        return capacity - self.rows[principal, name][0]


class FakeDb:
    @asynccontextmanager
    async def driver(self) -> AsyncIterator[None]:
        yield None


def limiter(clock: Clock, buckets: Buckets, **settings: Any) -> RateLimiter:
    return RateLimiter(Settings(**settings), take=buckets, clock=clock)


async def test_a_customer_is_held_to_its_burst_then_told_when_to_retry() -> None:
    clock = Clock()
    buckets = Buckets(clock)
    rl = limiter(clock, buckets, limit_customer_orders_burst=5, limit_customer_orders_per_minute=6)
    db: Any = FakeDb()
    for _ in range(5):
        await rl.order(db, CUSTOMER)
    with pytest.raises(RateLimitedError) as caught:
        await rl.order(db, CUSTOMER)
    assert caught.value.status == 429
    assert caught.value.retry_after_s == 10  # one token at 6 a minute
    assert "6 orders per minute" in caught.value.detail
    # A small bucket leases one token at a time: counted exactly in the database.
    assert buckets.used("cust-1", "orders.rate", 5) == 5


async def test_refused_requests_are_answered_locally_until_the_block_lapses() -> None:
    clock = Clock()
    buckets = Buckets(clock)
    rl = limiter(clock, buckets, limit_customer_orders_burst=1, limit_customer_orders_per_minute=1)
    db: Any = FakeDb()
    await rl.order(db, CUSTOMER)
    with pytest.raises(RateLimitedError):
        await rl.order(db, CUSTOMER)
    statements = buckets.statements
    for _ in range(20):
        with pytest.raises(RateLimitedError) as caught:
            await rl.order(db, CUSTOMER)
        assert 1 <= caught.value.retry_after_s <= LEASE_S
    assert buckets.statements == statements, "no statement per refused request"
    clock.now += 60
    await rl.order(db, CUSTOMER)


async def test_a_busy_principals_leases_grow_so_statements_are_few() -> None:
    clock = Clock()
    buckets = Buckets(clock)
    rl = limiter(clock, buckets, limit_lease_max=100)
    db: Any = FakeDb()
    for _ in range(1000):
        await rl.order(db, STAFF)
    # 1, 2, 4, ..., 64, then 100 at a time: about 17 statements for 1000 orders.
    assert buckets.statements <= 20
    # Never more taken from the database than leased, never less than spent.
    used = buckets.used("clerk-1", "orders.rate", 2000)
    assert 1000 <= used <= 1000 + 100


async def test_unspent_leases_lapse_and_a_quiet_principal_starts_at_one_again() -> None:
    clock = Clock()
    buckets = Buckets(clock)
    rl = limiter(clock, buckets)
    db: Any = FakeDb()
    for _ in range(40):
        await rl.order(db, STAFF)
    assert buckets.last_wants["orders.rate"] > 1
    clock.now += LEASE_S + 0.1
    await rl.order(db, STAFF)
    assert buckets.last_wants == {"orders.rate": 1, "orders.day": 1}


async def test_concurrent_requests_share_one_lease_statement() -> None:
    clock = Clock()
    buckets = Buckets(clock)
    rl = limiter(clock, buckets)
    db: Any = FakeDb()
    await asyncio.gather(*(rl.order(db, STAFF) for _ in range(3)))
    assert buckets.statements <= 3


async def test_uploads_are_counted_and_refused_once_over_the_hourly_limit() -> None:
    clock = Clock()
    buckets = Buckets(clock)
    rl = limiter(clock, buckets, limit_customer_uploads_per_hour=2)
    db: Any = FakeDb()
    await rl.upload(db, CUSTOMER)
    await rl.upload(db, CUSTOMER)
    with pytest.raises(RateLimitedError) as caught:
        await rl.upload(db, CUSTOMER)
    assert caught.value.retry_after_s == 1800
    await rl.upload(db, STAFF)  # another principal, its own bucket


async def test_upload_rows_come_from_the_daily_quota_all_or_nothing() -> None:
    clock = Clock()
    buckets = Buckets(clock)
    rl = limiter(clock, buckets, limit_customer_orders_per_day=100)
    conn: Any = None
    await rl.order_rows(conn, CUSTOMER, 60)
    with pytest.raises(RateLimitedError) as caught:
        await rl.order_rows(conn, CUSTOMER, 60)
    assert "100 orders per day" in caught.value.detail
    assert caught.value.retry_after_s == 17_280  # 20 missing tokens at 100 a day
    assert buckets.used("cust-1", "orders.day", 100) == 60, "a refused take takes nothing"
    with pytest.raises(PayloadTooLargeError):
        await rl.order_rows(conn, CUSTOMER, 101)


def test_customer_logins_get_the_customer_policy_and_upload_cap() -> None:
    policies = Policies.from_settings(Settings(max_customer_upload_rows=50))
    assert policies.of(CUSTOMER).max_upload_rows == 50
    assert policies.of(STAFF).max_upload_rows == 200_000
    assert policies.of(CUSTOMER).orders_rate.capacity == 20
    assert policies.of(STAFF).orders_day.refill_per_s == pytest.approx(2_000_000 / 86_400)
    # The customer cap never exceeds the general one.
    assert Policies.from_settings(Settings(max_upload_rows=10)).of(CUSTOMER).max_upload_rows == 10


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    bucket = Bucket("b", 10, 2.0, "x")
    assert Taken(bucket, 1, 0, 0.5).retry_after_s == 1
    assert Taken(bucket, 5, 0, 0.0).retry_after_s == 3
    assert Taken(bucket, 1, 0, 1.0).retry_after_s == 1


async def test_lapsed_leases_of_many_principals_are_dropped() -> None:
    clock = Clock()
    buckets = Buckets(clock)
    rl = limiter(clock, buckets)
    db: Any = FakeDb()
    for i in range(5001):  # two buckets each: past the sweep threshold
        await rl.order(db, Principal(subject=f"p{i}"))
    clock.now += LEASE_S + 1
    await rl.order(db, STAFF)
    assert len(rl._leases) == 2, "only the live leases are kept"
