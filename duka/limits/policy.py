"""Which token buckets a principal's request draws from, read from the settings.

A rate is a bucket of `burst` tokens refilled at the rate; a quota of N per day is a
bucket of N tokens refilled at N per 24 hours (a rolling day, no midnight cliff). A
customer's own login (a principal with a customer code) gets the smaller customer limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from duka.auth.principal import Principal
from duka.core.settings import Settings

MINUTE_S = 60.0
HOUR_S = 3600.0
DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    capacity: int
    refill_per_s: float
    # What the bucket allows, for the problem document ("6000 orders per minute").
    allows: str


@dataclass(frozen=True, slots=True)
class Policy:
    orders_rate: Bucket
    orders_day: Bucket
    uploads: Bucket
    max_upload_rows: int

    @property
    def order_buckets(self) -> tuple[Bucket, Bucket]:
        return (self.orders_rate, self.orders_day)


def _policy(
    *, per_minute: int, burst: int, per_day: int, uploads_per_hour: int, max_rows: int
) -> Policy:
    return Policy(
        orders_rate=Bucket(
            "orders.rate", burst, per_minute / MINUTE_S, f"{per_minute} orders per minute"
        ),
        orders_day=Bucket("orders.day", per_day, per_day / DAY_S, f"{per_day} orders per day"),
        uploads=Bucket(
            "uploads",
            uploads_per_hour,
            uploads_per_hour / HOUR_S,
            f"{uploads_per_hour} uploads per hour",
        ),
        max_upload_rows=max_rows,
    )


@dataclass(frozen=True, slots=True)
class Policies:
    staff: Policy
    customer: Policy

    @classmethod
    def from_settings(cls, s: Settings) -> Policies:
        return cls(
            staff=_policy(
                per_minute=s.limit_orders_per_minute,
                burst=s.limit_orders_burst,
                per_day=s.limit_orders_per_day,
                uploads_per_hour=s.limit_uploads_per_hour,
                max_rows=s.max_upload_rows,
            ),
            customer=_policy(
                per_minute=s.limit_customer_orders_per_minute,
                burst=s.limit_customer_orders_burst,
                per_day=s.limit_customer_orders_per_day,
                uploads_per_hour=s.limit_customer_uploads_per_hour,
                max_rows=min(s.max_customer_upload_rows, s.max_upload_rows),
            ),
        )

    def of(self, principal: Principal) -> Policy:
        return self.customer if principal.customer_code is not None else self.staff
