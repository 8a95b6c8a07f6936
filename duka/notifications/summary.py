"""What the SMS pipeline did over a period: sent, failed by reason, suppressed, cost.

The runner's periodic report (flows/report.py) turns it into a markdown artifact in the
Prefect UI, so that operators see the counts without reading logs. Statements over the
notifications table: rows accepted by the provider in the period (`sent_at`), and rows
that ended failed or suppressed in it (`updated_at`), each read through the index on
`updated_at`.

Suppressed counts rows in status `suppressed` (the suppression list's). Cost sums what AT
billed for the sends accepted in the period (`cost_amount`, `cost_currency`, stored with the
acceptance), by currency.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.outbox.sql import FAILED, SUPPRESSED

# Every statement reads the rows changed since the period began, through
# ix_notifications_updated_at: one period's rows, never the table's history. A row accepted
# in the period was updated then (`sent_at` and `updated_at` are set together, and later
# moves only raise `updated_at`), so `updated_at >= :since` holds every row counted.
_COUNTS = text(
    f"""
    SELECT count(*) FILTER (WHERE sent_at >= :since AND sent_at < :until) AS sent,
           count(*) FILTER (WHERE status = {SUPPRESSED} AND updated_at < :until) AS suppressed
    FROM notifications
    WHERE updated_at >= :since
    """  # noqa: S608 - constants only
)
_FAILURES = text(
    f"""
    SELECT last_error, count(*) AS n FROM notifications
    WHERE status = {FAILED} AND updated_at >= :since AND updated_at < :until
    GROUP BY last_error
    """  # noqa: S608 - constants only
)

_COSTS = text(
    """
    SELECT cost_currency, sum(cost_amount) AS amount FROM notifications
    WHERE updated_at >= :since AND sent_at >= :since AND sent_at < :until
      AND cost_currency IS NOT NULL
    GROUP BY cost_currency
    """
)

_GAVE_UP = re.compile(r" \(gave up after \d+ attempts\)$")
_OPERATOR = "needs an operator: "


def failure_reason(last_error: str | None) -> str:
    """The stable reason of a failure's text (flows/send.py `describe`, the delivery
    reports' `failure_text`, the reconciler's): its details left out, so that failures
    group by cause."""
    if not last_error:
        return "unknown"
    text_ = _GAVE_UP.sub("", last_error).removeprefix(_OPERATOR)
    if text_.startswith("not delivered: "):
        return text_.split(" (", 1)[0]
    if text_.startswith("outcome unknown"):
        return "outcome unknown"
    return text_.split(":", 1)[0].split(" (", 1)[0].strip() or "unknown"


@dataclass(frozen=True, slots=True)
class SmsSummary:
    since: datetime
    until: datetime
    sent: int
    failed: dict[str, int] = field(default_factory=dict)
    suppressed: int = 0
    cost: dict[str, Decimal] | None = None
    """Cost by currency; None while costs are not recorded."""

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed_total, "suppressed": self.suppressed}

    def markdown(self) -> str:
        """The report as markdown (the Prefect UI renders it)."""
        lines = [
            f"# SMS from {self.since:%Y-%m-%d %H:%M} to {self.until:%Y-%m-%d %H:%M} UTC",
            "",
            "| sent | failed | suppressed |",
            "|---:|---:|---:|",
            f"| {self.sent} | {self.failed_total} | {self.suppressed} |",
            "",
            "## Failed by reason",
            "",
        ]
        if self.failed:
            lines += ["| reason | count |", "|---|---:|"]
            lines += [
                f"| {_cell(reason)} | {count} |"
                for reason, count in sorted(self.failed.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
        else:
            lines.append("none")
        lines += ["", "## Cost by currency", ""]
        if self.cost is None:
            lines.append("n/a (costs are not recorded per SMS)")
        elif not self.cost:
            lines.append("none")
        else:
            lines += ["| currency | cost |", "|---|---:|"]
            lines += [f"| {c} | {amount} |" for c, amount in sorted(self.cost.items())]
        return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    # A reason is provider text: keep it from breaking the table.
    return value.replace("|", "\\|").replace("\n", " ")


async def summarize(db: Database, since: datetime, until: datetime) -> SmsSummary:
    """The counts of [since, until)."""
    window = {"since": since, "until": until}
    async with db.autocommit() as conn:
        counts = (await conn.execute(_COUNTS, window)).one()
        failures = (await conn.execute(_FAILURES, window)).all()
        costs = (await conn.execute(_COSTS, window)).all()
    failed: Counter[str] = Counter()
    for last_error, n in failures:
        failed[failure_reason(last_error)] += int(n)
    return SmsSummary(
        since=since,
        until=until,
        sent=int(counts.sent),
        failed=dict(failed),
        suppressed=int(counts.suppressed),
        cost={currency: Decimal(amount) for currency, amount in costs},
    )
