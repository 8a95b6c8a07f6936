"""Flow-run names: a prefix and the UTC second the run was named ("sms-sweep-20261205-031500").

One helper for the names the runner gives the runs it creates and the names the flows give
themselves when Prefect starts them (Prefect renames a run from `flow_run_name` on start).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime

DISPATCH = "sms-dispatch"
SWEEP = "sms-sweep"
RETENTION = "sms-retention"
REPORT = "sms-report"


def run_name(prefix: str, at: datetime | None = None) -> str:
    """`prefix` and `at` (now, when not given) to the second, in UTC."""
    return f"{prefix}-{(at or datetime.now(UTC)).astimezone(UTC):%Y%m%d-%H%M%S}"


def namer(prefix: str) -> Callable[[], str]:
    """A `flow_run_name` callable: Prefect calls it with no arguments."""
    return functools.partial(run_name, prefix)
