"""A delivery report's log line names the order and the SMS's stored traceparent, which
the report itself (AT's message id only) does not carry."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import event, text

from duka.db.engine import Database
from duka.notifications.outbox.store import Outbox
from duka.notifications.template import order_reference
from duka.webhooks.schemas import DeliveryReportIn
from duka.webhooks.service import DeliveryReportService
from tests.support.outbox_rows import pending_notifications

pytestmark = pytest.mark.anyio

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def accepted_sms(db: Database, message_id: str) -> str:
    """One SMS accepted by the provider as `message_id`; its order's reference."""
    [notification_id] = await pending_notifications(db, 1)
    async with db.autocommit() as conn:
        order_id = (
            await conn.execute(
                text(
                    "UPDATE notifications SET traceparent = :tp WHERE id = :id RETURNING order_id"
                ),
                {"tp": TRACEPARENT, "id": notification_id},
            )
        ).scalar_one()
    outbox, token = Outbox(db), uuid.uuid4()
    [claimed] = await outbox.claim(token, 1, 60)
    assert await outbox.begin_attempt(claimed.id, token) == 1
    assert claimed.traceparent == TRACEPARENT, "the claim hands the runner the traceparent"
    assert await outbox.accepted(claimed.id, message_id)
    return order_reference(order_id.hex)


def report(message_id: str, status: str) -> DeliveryReportIn:
    return DeliveryReportIn.model_validate(
        {"id": message_id, "status": status, "phoneNumber": "+254700000001"}
    )


async def test_the_report_line_names_the_order(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    reference = await accepted_sms(db, "ATXid_logged")
    caplog.set_level(logging.INFO, logger="duka.webhooks.service")
    assert await DeliveryReportService(db).apply(report("ATXid_logged", "Success")) == "applied"
    [line] = [r for r in caplog.records if r.name == "duka.webhooks.service"]
    assert line.getMessage() == "delivery report Success for message ATXid_logged: applied"
    assert line.order_ref == reference  # type: ignore[attr-defined]
    assert line.sms_traceparent == TRACEPARENT  # type: ignore[attr-defined]
    assert line.message_id == "ATXid_logged"  # type: ignore[attr-defined]


async def test_a_report_for_no_known_message_is_logged_without_an_order(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="duka.webhooks.service")
    assert await DeliveryReportService(db).apply(report("ATXid_unknown", "Failed")) == "recorded"
    [line] = [r for r in caplog.records if r.name == "duka.webhooks.service"]
    assert line.getMessage().startswith("delivery report Failed for message ATXid_unknown")
    assert not hasattr(line, "order_ref")


async def test_no_line_when_info_lines_are_off(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await accepted_sms(db, "ATXid_quiet")
    caplog.set_level(logging.WARNING, logger="duka.webhooks.service")
    await DeliveryReportService(db).apply(report("ATXid_quiet", "Success"))
    assert not [r for r in caplog.records if r.name == "duka.webhooks.service"]


async def test_the_order_is_read_by_the_storing_statement_not_a_query_of_its_own(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """One report, one delivery per SMS: its line's references cost no extra round trip."""
    reference = await accepted_sms(db, "ATXid_counted")
    caplog.set_level(logging.INFO, logger="duka.webhooks.service")
    statements: list[str] = []

    def executed(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine.sync_engine, "before_cursor_execute", executed)
    try:
        service = DeliveryReportService(db)
        assert await service.apply(report("ATXid_counted", "Success")) == "applied"
        assert await service.apply(report("ATXid_counted", "Success")) == "duplicate"
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", executed)
    # Per report: the message id's lock, then the statement that stores and applies it.
    assert len(statements) == 4, statements
    assert "pg_advisory_xact_lock" in statements[0]
    assert "INSERT INTO delivery_reports" in statements[1]
    lines = [r for r in caplog.records if r.name == "duka.webhooks.service"]
    assert [r.getMessage().rsplit(": ", 1)[1] for r in lines] == ["applied", "duplicate"]
    # The replay's line names the order too.
    assert [r.order_ref for r in lines] == [reference, reference]  # type: ignore[attr-defined]
