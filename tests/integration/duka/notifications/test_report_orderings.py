"""Delivery reports in every order on a real PostgreSQL: the statements of
duka/notifications/outbox/reports.py end where the state machine of
duka/notifications/delivery.py says, whatever order the reports arrive in, repeated or
not, before the acceptance was recorded or after it.

The orderings come from hypothesis (the unit test tests/unit/duka/notifications/
test_delivery.py proves the model itself independent of the order). They are drawn first
and then played against the database one by one, so that each runs in the test's event
loop; a failure names its example.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import reduce

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duka.db.engine import Database
from duka.notifications.delivery import Delivery, Report, ReportStatus, apply_report
from duka.notifications.models import NotificationStatus
from duka.notifications.outbox.reports import store_report
from duka.notifications.outbox.store import Outbox
from tests.support.outbox_rows import pending_notifications, row

pytestmark = pytest.mark.anyio

REASONS = (None, "DeliveryFailure", "UserInBlackList")


@dataclass(frozen=True)
class Example:
    reports: list[Report]
    """Distinct statuses, as AT sends them."""
    arrival: list[Report]
    """The same reports, reordered, some repeated."""
    before_acceptance: int
    """How many of the arrivals beat the runner's recording of the acceptance."""


def draw_examples(count: int) -> list[Example]:
    found: list[Example] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        reports=st.lists(
            st.builds(
                Report,
                status=st.sampled_from([s.value for s in ReportStatus]),
                failure_reason=st.sampled_from(REASONS),
            ),
            unique_by=lambda r: r.status,
            min_size=1,
            max_size=5,
        ),
        data=st.data(),
    )
    def collect(reports: list[Report], data: st.DataObject) -> None:
        repeats = data.draw(st.lists(st.sampled_from(reports), max_size=2))
        arrival = data.draw(st.permutations([*reports, *repeats]))
        split = data.draw(st.integers(0, len(arrival)))
        found.append(Example(reports, list(arrival), split))

    collect()
    return found


async def play(db: Database, example: Example) -> Delivery:
    [nid] = await pending_notifications(db, 1)
    message_id = f"ATXid_{uuid.uuid4().hex}"

    async def arrive(report: Report) -> None:
        await store_report(
            db,
            message_id=message_id,
            status=report.status,
            phone_number=None,
            network_code=None,
            failure_reason=report.failure_reason,
            retry_count=0,
        )

    for report in example.arrival[: example.before_acceptance]:
        await arrive(report)
    assert await Outbox(db).accepted(nid, message_id)
    for report in example.arrival[example.before_acceptance :]:
        await arrive(report)
    found = await row(db, nid)
    error = found["last_error"]
    assert error is None or isinstance(error, str)
    return Delivery(NotificationStatus(str(found["status"])), error)


async def test_the_database_ends_where_the_state_machine_does_in_any_order(
    db: Database,
) -> None:
    examples = draw_examples(60)
    for example in examples:
        expected = reduce(apply_report, example.reports, Delivery(NotificationStatus.SENT))
        assert await play(db, example) == expected, example
    # The draws cover the cases that matter (hypothesis is free to choose, so check).
    assert any(e.before_acceptance and e.before_acceptance < len(e.arrival) for e in examples)
    assert any({r.status for r in e.reports} >= {"Success", "Failed"} for e in examples) or any(
        {r.status for r in e.reports} >= {"Success", "Rejected"} for e in examples
    )
