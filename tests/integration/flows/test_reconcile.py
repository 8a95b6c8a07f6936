"""Settling sends whose outcome is unknown: evidence first, never a blind resend."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import cast

import pytest
from sqlalchemy import text

from devtools.at_sandbox.inbox import InboxMessage
from devtools.at_sandbox.runner import SandboxServer
from duka.db.engine import Database
from duka.notifications.outbox.store import Outbox
from duka.notifications.outbox.work import UnknownSend
from duka.notifications.reconcile import Reconciler
from duka.webhooks.schemas import DeliveryReportIn
from duka.webhooks.service import DeliveryReportService
from flows import sweep
from flows.context import RunnerContext
from flows.lookup import SandboxInboxLookup
from tests.support.outbox_rows import unknown_sends
from tests.support.sms_flows import FAST

pytestmark = pytest.mark.anyio


class FixedLookup:
    def __init__(self, answer: list[str] | None) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    async def message_ids(self, recipient: str, body: str) -> list[str] | None:
        self.asked.append((recipient, body))
        return self.answer

    async def aclose(self) -> None:
        pass


async def state(db: Database, notification_id: uuid.UUID) -> tuple[object, ...]:
    async with db.autocommit() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT status, provider_message_id, last_error, send_started_at "
                    "FROM notifications WHERE id = :id"
                ),
                {"id": notification_id},
            )
        ).one()
    return tuple(row)


def report(message_id: str, phone: str, status: str = "Success") -> DeliveryReportIn:
    return DeliveryReportIn.model_validate(
        {"id": message_id, "status": status, "phoneNumber": phone, "retryCount": "0"}
    )


NOW = datetime.now(UTC)


async def test_without_evidence_or_lookup_it_fails_for_an_operator(db: Database) -> None:
    [send] = await unknown_sends(db, ["+254700000001"])
    summary = await Reconciler(db, None, grace_s=600).settle([send], NOW)
    assert summary.as_dict() == {"adopted": 0, "resent": 0, "failed": 1, "waiting": 0}
    status, message_id, error, started = await state(db, send.id)
    assert (status, message_id, started) == ("failed", None, None)
    assert isinstance(error, str)
    assert error.startswith("outcome unknown: no delivery report within 600 s")


async def test_an_unclaimed_delivery_report_proves_it_was_sent(db: Database) -> None:
    [send] = await unknown_sends(db, ["+254700000002"])
    reports = DeliveryReportService(db)
    assert await reports.apply(report("ATXid_lost", "+254700000002")) == "recorded"
    lookup = FixedLookup([])  # would say "absent": the report wins, and it is not asked

    summary = await Reconciler(db, lookup, grace_s=1).settle([send], NOW)

    assert summary.adopted == 1
    assert lookup.asked == []
    status, message_id, error, _ = await state(db, send.id)
    assert (status, message_id, error) == ("delivered", "ATXid_lost", None)
    async with db.autocommit() as conn:
        linked = (
            await conn.execute(text("SELECT notification_id FROM delivery_reports"))
        ).scalar_one()
    assert linked == send.id


async def test_a_failure_report_found_later_marks_it_failed(db: Database) -> None:
    [send] = await unknown_sends(db, ["+254700000003"])
    reports = DeliveryReportService(db)
    failed = DeliveryReportIn.model_validate(
        {
            "id": "ATXid_x",
            "status": "Failed",
            "phoneNumber": "+254700000003",
            "failureReason": "UserInBlackList",
        }
    )
    assert await reports.apply(failed) == "recorded"
    await Reconciler(db, None, grace_s=1).settle([send], NOW)
    status, message_id, error, _ = await state(db, send.id)
    assert (status, message_id, error) == (
        "failed",
        "ATXid_x",
        "not delivered: Failed (UserInBlackList)",
    )


async def test_a_report_that_could_belong_to_two_sends_proves_nothing(
    db: Database,
) -> None:
    phone = "+254700000004"
    sends = await unknown_sends(db, [phone, phone])
    await DeliveryReportService(db).apply(report("ATXid_which", phone))
    summary = await Reconciler(db, None, grace_s=1).settle(sends, NOW)
    assert summary.failed == 2
    assert summary.adopted == 0


async def test_the_sandbox_inbox_settles_it_both_ways(db: Database, sandbox: SandboxServer) -> None:
    received, missing = await unknown_sends(db, ["+254700000005", "+254700000006"])
    sandbox.state.inbox.add(
        InboxMessage(
            message_id="ATXid_inbox",
            to=received.recipient,
            sender=None,
            message=received.body,
            status="Success",
            status_code=101,
            cost="KES 0.8000",
        )
    )
    lookup = SandboxInboxLookup(sandbox.base_url)
    try:
        summary = await Reconciler(db, lookup, grace_s=1).settle([received, missing], NOW)
    finally:
        await lookup.aclose()

    assert (summary.adopted, summary.resent) == (1, 1)
    assert (await state(db, received.id))[:3] == ("sent", "ATXid_inbox", None)
    status, message_id, error, started = await state(db, missing.id)
    assert (status, message_id, started) == ("pending", None, None)
    assert error == "outcome unknown, and the provider has no record of it: sending again"


async def test_an_inbox_message_already_recorded_elsewhere_is_not_adopted(
    db: Database,
) -> None:
    first, second = await unknown_sends(db, ["+254700000007", "+254700000008"])
    await Reconciler(db, FixedLookup(["ATXid_one"]), grace_s=1).settle([first], NOW)
    summary = await Reconciler(db, FixedLookup(["ATXid_one"]), grace_s=1).settle([second], NOW)
    assert (summary.adopted, summary.resent) == (0, 1)


async def test_when_the_provider_cannot_be_asked_it_waits_then_gives_up(
    db: Database,
) -> None:
    [send] = await unknown_sends(db, ["+254700000009"])
    unsure = Reconciler(db, FixedLookup(None), grace_s=10)
    assert (await unsure.settle([send], NOW)).waiting == 1
    assert (await state(db, send.id))[0] == "sending"
    later = send.send_started_at + timedelta(seconds=2 * 10 + 61)
    assert (await unsure.settle([send], later)).failed == 1
    assert (await state(db, send.id))[0] == "failed"


async def test_a_row_that_moved_meanwhile_is_left_alone(db: Database) -> None:
    [send] = await unknown_sends(db, ["+254700000010"])
    stale = UnknownSend(
        send.id,
        send.order_id,
        send.recipient,
        send.body,
        send.send_started_at - timedelta(seconds=1),
        send.attempts,
    )
    summary = await Reconciler(db, FixedLookup([]), grace_s=1).settle([stale], NOW)
    assert summary.resent == 0
    summary = await Reconciler(db, FixedLookup(["ATXid_m"]), grace_s=1).settle([stale], NOW)
    assert summary.adopted == 0
    assert (await state(db, send.id))[0] == "sending"


async def owned_report(db: Database, send: UnknownSend, message_id: str) -> None:
    """An unmatched report for `send`'s number whose message id another notification holds
    (a report stored before that notification's acceptance committed, on the old code)."""
    [other] = await unknown_sends(db, [send.recipient + "9"])
    await Reconciler(db, FixedLookup([message_id]), grace_s=1).settle([other], NOW)
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO delivery_reports (provider_message_id, status, phone_number) "
                "VALUES (:m, 'Success', :p)"
            ),
            {"m": message_id, "p": send.recipient},
        )


async def test_a_report_for_a_message_another_notification_holds_is_no_evidence(
    db: Database,
) -> None:
    [send] = await unknown_sends(db, ["+254700000011"])
    await owned_report(db, send, "ATXid_taken")
    summary = await Reconciler(db, FixedLookup([]), grace_s=1).settle([send], NOW)
    assert summary.as_dict() == {"adopted": 0, "resent": 1, "failed": 0, "waiting": 0}
    assert (await state(db, send.id))[:2] == ("pending", None)


async def test_a_failed_adoption_falls_through_to_the_next_rule(db: Database) -> None:
    """The lookup's first free id is taken between the check and the adoption: the next
    one is adopted; with none left the send is proven absent."""
    first, second = await unknown_sends(db, ["+254700000012", "+254700000013"])

    class Racing(Reconciler):
        async def _unassigned(self, message_ids: list[str]) -> list[str]:
            return message_ids  # as if checked before another sweeper took "ATXid_gone"

    await Reconciler(db, FixedLookup(["ATXid_gone"]), grace_s=1).settle([first], NOW)
    lookup = FixedLookup(["ATXid_gone", "ATXid_free"])
    summary = await Racing(db, lookup, grace_s=1).settle([second], NOW)
    assert summary.adopted == 1
    assert (await state(db, second.id))[:2] == ("sent", "ATXid_free")


async def test_unsettleable_sends_cannot_jam_the_reconcile_batch(
    db: Database, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sends whose only report belongs to another notification used to stay `sending`,
    picked first by every sweep: a full batch of them starved every later unknown send."""
    stuck = await unknown_sends(db, ["+254700000021", "+254700000022"])
    for n, send in enumerate(stuck):
        await owned_report(db, send, f"ATXid_owned{n}")
    [later] = await unknown_sends(db, ["+254700000023"])
    monkeypatch.setattr(sweep, "RECONCILE_BATCH", len(stuck))
    deps = SimpleNamespace(
        sms=FAST.model_copy(update={"unknown_grace_s": 0}),
        outbox=Outbox(db),
        db=db,
        lookup=SandboxInboxLookup(sandbox.base_url),
    )
    try:
        for _ in range(3):
            await sweep.reconcile_unknown_outcomes.fn(cast(RunnerContext, deps))
    finally:
        await deps.lookup.aclose()
    for send in [*stuck, later]:
        assert (await state(db, send.id))[:2] == ("pending", None), send.recipient
