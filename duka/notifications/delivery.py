"""What Africa's Talking's delivery reports do to a notification: the state machine.

AT reports each status change of a message to the callback, at least once and in no
guaranteed order. Sent, Submitted and Buffered are intermediate: the message is on its way,
and the notification stays `sent`. Success, Failed, Rejected and Expired are final (so is
AbsentSubscriber, on the accounts that see it). Duka's rules make the outcome a function of
the *set* of reports a message got, never of their arrival order or repetition:

- an intermediate report never changes the notification (before or after a final one);
- Success beats every failure: it is the handset's receipt, and a failure report next to it
  can only be an earlier attempt of the network's (AT's `retryCount`) or a stale replay.
  So `sent` or `failed` → `delivered`, and `delivered` stays `delivered`;
- of several failure reports the one whose text sorts first is kept in `last_error`, so
  two failures leave the same text whichever came first.

`apply_report` is the rule in Python, for the tests (a hypothesis property test over
orderings) and for documentation; duka/notifications/outbox/reports.py writes the same rule
as SQL, one statement per report, and the acceptance's `link_reports` for reports that came
before the message id was recorded.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from duka.notifications.models import NotificationStatus


class ReportStatus(enum.StrEnum):
    SENT = "Sent"
    SUBMITTED = "Submitted"
    BUFFERED = "Buffered"
    SUCCESS = "Success"
    FAILED = "Failed"
    REJECTED = "Rejected"
    EXPIRED = "Expired"
    ABSENT_SUBSCRIBER = "AbsentSubscriber"


INTERMEDIATE = frozenset({ReportStatus.SENT, ReportStatus.SUBMITTED, ReportStatus.BUFFERED})
DELIVERED = frozenset({ReportStatus.SUCCESS})
NOT_DELIVERED = frozenset(
    {
        ReportStatus.FAILED,
        ReportStatus.REJECTED,
        ReportStatus.EXPIRED,
        ReportStatus.ABSENT_SUBSCRIBER,
    }
)
FINAL = DELIVERED | NOT_DELIVERED

# The prefix every report failure's last_error starts with: how the statements tell a
# failure a report caused (which a later report may still settle) from a send's failure.
FAILURE_PREFIX = "not delivered: "


def report_status(raw: str) -> ReportStatus | None:
    """AT's status text as the enum; None for a status AT may add later (recorded only)."""
    try:
        return ReportStatus(raw)
    except ValueError:
        return None


def failure_text(status: str, reason: str | None) -> str:
    """last_error of a notification a failure report moved (the statements write the same)."""
    return f"{FAILURE_PREFIX}{status}" + (f" ({reason})" if reason else "")


@dataclass(frozen=True, slots=True)
class Report:
    status: str
    failure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """The part of a notification that reports move."""

    status: NotificationStatus
    last_error: str | None = None


# Reports act on a notification that AT accepted: `sent`, or already settled by a report.
# (`sending` too: a send whose outcome was unknown may get its report before the reconciler
# adopts it; the report is then evidence, see duka/notifications/reconcile.py.)
_MOVABLE = frozenset({NotificationStatus.SENDING, NotificationStatus.SENT})


def _settled_by_report(state: Delivery) -> bool:
    return state.status is NotificationStatus.FAILED and (state.last_error or "").startswith(
        FAILURE_PREFIX
    )


def apply_report(state: Delivery, report: Report) -> Delivery:
    """The notification after one more report (a repeated report changes nothing)."""
    status = report_status(report.status)
    if status is None or status in INTERMEDIATE:
        return state
    if status in DELIVERED:
        if state.status in _MOVABLE or _settled_by_report(state):
            return Delivery(NotificationStatus.DELIVERED)
        return state
    error = failure_text(status, report.failure_reason)
    if state.status in _MOVABLE:
        return Delivery(NotificationStatus.FAILED, error)
    if _settled_by_report(state) and error < (state.last_error or ""):
        return Delivery(NotificationStatus.FAILED, error)
    return state
