"""A delivery report that arrives before its acceptance is recorded is linked when the
acceptance commits: the order moves on to delivered or failed instead of staying sent."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig, ReportOverride
from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.core.settings import Settings
from duka.db.engine import Database
from duka.notifications.outbox.claim import ClaimedSms
from duka.notifications.outbox.store import Outbox
from duka.notifications.sms.at_gateway import AfricasTalkingGateway
from duka.notifications.sms.gateway import SendResult, SmsGateway
from duka.webhooks.schemas import DeliveryReportIn
from duka.webhooks.service import DeliveryReportService
from flows.attempts import BatchedAttempts
from tests.support.outbox_rows import pending_notifications
from tests.support.sms_flows import (
    LiveApi,
    add_customers,
    create_orders,
    running_runner,
    settings_for,
    statuses,
    wait_until,
)

pytestmark = pytest.mark.anyio

SECRET = "callback-secret-for-tests"


async def sending(db: Database, count: int) -> list[ClaimedSms]:
    """`count` notifications claimed, each with an attempt in flight."""
    await pending_notifications(db, count)
    outbox, token = Outbox(db), uuid.uuid4()
    claimed = await outbox.claim(token, count, 60)
    for sms in claimed:
        assert await outbox.begin_attempt(sms.id, token) == 1
    return claimed


async def report(db: Database, message_id: str, phone: str, status: str, **more: str) -> str:
    form = {"id": message_id, "status": status, "phoneNumber": phone, **more}
    return await DeliveryReportService(db).apply(DeliveryReportIn.model_validate(form))


async def rows(db: Database) -> dict[uuid.UUID, Any]:
    async with db.autocommit() as conn:
        found = await conn.execute(
            text(
                "SELECT id, status, provider_message_id, last_error, delivered_at, "
                "send_started_at, claim_token FROM notifications"
            )
        )
        return {r.id: r for r in found}


async def links(db: Database) -> dict[tuple[str, str], uuid.UUID | None]:
    async with db.autocommit() as conn:
        found = await conn.execute(
            text("SELECT provider_message_id, status, notification_id FROM delivery_reports")
        )
        return {(r.provider_message_id, r.status): r.notification_id for r in found}


async def test_a_report_before_the_acceptance_is_applied_when_it_commits(
    db: Database,
) -> None:
    [sms] = await sending(db, 1)
    assert await report(db, "ATXid_early", sms.recipient, "Success") == "recorded"

    assert await Outbox(db).accepted(sms.id, "ATXid_early")

    row = (await rows(db))[sms.id]
    assert (row.status, row.provider_message_id, row.last_error) == (
        "delivered",
        "ATXid_early",
        None,
    )
    assert row.delivered_at is not None
    assert (row.send_started_at, row.claim_token) == (None, None)
    assert await links(db) == {("ATXid_early", "Success"): sms.id}
    # A replay after the link changes nothing.
    assert await report(db, "ATXid_early", sms.recipient, "Success") == "duplicate"


async def test_a_batch_of_acceptances_applies_the_reports_each_row_already_has(
    db: Database,
) -> None:
    failed, intermediate, delivered, plain = await sending(db, 4)
    await report(db, "ATXid_f", failed.recipient, "Failed", failureReason="UserInBlackList")
    await report(db, "ATXid_i", intermediate.recipient, "Buffered")
    # Both a failure and a success for one message: the success wins, as in the reconciler.
    await report(db, "ATXid_d", delivered.recipient, "Rejected")
    await report(db, "ATXid_d", delivered.recipient, "Success")

    attempts = BatchedAttempts(Outbox(db))
    done = await attempts._accept_many(
        [
            (failed.id, "ATXid_f"),
            (intermediate.id, "ATXid_i"),
            (delivered.id, "ATXid_d"),
            (plain.id, "ATXid_p"),
        ]
    )
    assert list(done) == [True, True, True, True]

    found = await rows(db)
    assert (found[failed.id].status, found[failed.id].last_error) == (
        "failed",
        "not delivered: Failed (UserInBlackList)",
    )
    assert (found[intermediate.id].status, found[intermediate.id].last_error) == ("sent", None)
    assert (found[delivered.id].status, found[delivered.id].last_error) == ("delivered", None)
    assert (found[plain.id].status, found[plain.id].provider_message_id) == ("sent", "ATXid_p")
    assert await links(db) == {
        ("ATXid_f", "Failed"): failed.id,
        ("ATXid_i", "Buffered"): intermediate.id,
        ("ATXid_d", "Rejected"): delivered.id,
        ("ATXid_d", "Success"): delivered.id,
    }


async def test_a_later_final_report_still_moves_a_row_linked_early(db: Database) -> None:
    [sms] = await sending(db, 1)
    await report(db, "ATXid_s", sms.recipient, "Submitted")
    assert await Outbox(db).accepted(sms.id, "ATXid_s")
    assert await report(db, "ATXid_s", sms.recipient, "Success") == "applied"
    assert (await rows(db))[sms.id].status == "delivered"


class ReportFirst:
    """The real gateway, but an accepted send returns only once AT's delivery report for it
    is stored: every report reaches the API before its acceptance is recorded."""

    def __init__(self, inner: SmsGateway, db: Database) -> None:
        self.inner = inner
        self.db = db

    async def send(
        self,
        recipient: str,
        message: str,
        *,
        sender_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendResult:
        result = await self.inner.send(
            recipient, message, sender_id=sender_id, idempotency_key=idempotency_key
        )
        message_id = result.provider_message_id
        if message_id is not None:

            async def reported() -> bool:
                return any(m == message_id for m, _ in await links(self.db))

            await wait_until(reported, 30, f"the report for {message_id}", every_s=0.02)
        return result


async def test_early_reports_from_the_sandbox_finish_their_orders(
    prefect_server: PrefectServer, db: Database, database_url: str
) -> None:
    customers = await add_customers(db, 3)
    unreachable = customers[0][1]
    api_settings = Settings(
        database_url=database_url, environment="test", at_callback_secret=SecretStr(SECRET)
    )
    faults = FaultConfig(
        report_delay_s=0,
        report_by_number={unreachable: ReportOverride(status="Failed")},
    )
    with LiveApi(api_settings) as api:
        callback = (
            f"http://africastalking:{SECRET}@127.0.0.1:{api.port}"
            "/api/v1/webhooks/africastalking/delivery"
        )
        config = SandboxConfig(port=0, api_key="k", callback_url=callback, faults=faults)
        with SandboxServer(config) as sandbox:
            settings = settings_for(database_url, sandbox)
            gateway = ReportFirst(AfricasTalkingGateway.from_settings(settings), db)
            async with running_runner(settings, gateway=gateway):
                await create_orders(db, settings, customers)

                async def finished() -> bool:
                    return await statuses(db) == {"delivered": 2, "failed": 1}

                try:
                    await wait_until(finished, 60, "every order's report to apply")
                except AssertionError:
                    raise AssertionError(await statuses(db)) from None

    assert set((await links(db)).values()) <= set(await rows(db))
    assert None not in (await links(db)).values()
