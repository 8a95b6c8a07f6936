"""The SMS runner's Prometheus metrics (docs/operations.md, "SMS").

Recorded in each runner process and summed by the metrics server of `python -m flows run`
(duka/metrics/multiprocess.py). The outbox gauges are the database's numbers, sampled alike
by every runner: the most recent live sample is the value, never a sum.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Counter, Gauge, Histogram

from duka.db.engine import Database
from duka.notifications.billing import Billing
from duka.notifications.outbox.depth import outbox_depth
from duka.notifications.sms.gateway import SendResult

log = logging.getLogger(__name__)

SENDS = Counter(
    "duka_sms_sends",
    "Gateway calls that ended, by outcome (accepted, transient, permanent, unknown) and the "
    "provider's status or Duka's reason code (at_status).",
    ["outcome", "at_status"],
)
ATTEMPTS = Counter("duka_sms_send_attempts", "Send attempts begun (one gateway call each).")
SEGMENTS = Histogram(
    "duka_sms_segments",
    "Segments per message sent (GSM-7 or UCS-2, as the provider counts and bills them).",
    buckets=(1, 2, 3, 4, 6, 8, 10),
)
COST = Counter(
    "duka_sms_cost",
    "Cost the provider reported for accepted messages, summed by currency.",
    ["currency"],
)
OUTBOX_DEPTH = Gauge(
    "duka_sms_outbox_depth",
    "Outbox rows waiting (pending) or in flight (sending), sampled by the runner.",
    ["status"],
    multiprocess_mode="livemostrecent",
)
OLDEST_PENDING = Gauge(
    "duka_sms_oldest_pending_age_seconds",
    "Age of the oldest pending SMS (0: none pending), sampled by the runner.",
    multiprocess_mode="livemostrecent",
)


def attempt_begun() -> None:
    ATTEMPTS.inc()


def send_ended(result: SendResult, billing: Billing | None) -> None:
    """One gateway call ended; `billing` is what an accepted send is stored with (its
    segments, and AT's cost as the outbox reads it: duka/notifications/billing.py)."""
    SENDS.labels(result.outcome.value, result.reason or "none").inc()
    if billing is None:
        return
    SEGMENTS.observe(billing.segments)
    if billing.cost is not None:
        COST.labels(billing.cost.currency).inc(float(billing.cost.amount))


async def sample_outbox_forever(db: Database, every_s: float) -> None:
    """The runner's sampler task: one indexed query per interval."""
    while True:
        try:
            depth = await outbox_depth(db)
        except Exception as exc:  # a metric never takes the runner down
            log.warning("sampling the outbox depth failed: %s", type(exc).__name__)
        else:
            OUTBOX_DEPTH.labels("pending").set(depth.pending)
            OUTBOX_DEPTH.labels("sending").set(depth.sending)
            OLDEST_PENDING.set(depth.oldest_pending_s)
        await asyncio.sleep(every_s)
