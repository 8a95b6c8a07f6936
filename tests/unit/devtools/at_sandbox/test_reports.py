from __future__ import annotations

from urllib.parse import parse_qsl

import anyio
import httpx
import pytest

from devtools.at_sandbox.faults import FaultConfig, FaultInjector, ReportOverride, ReportPlan
from devtools.at_sandbox.inbox import Inbox, InboxMessage
from devtools.at_sandbox.reports import ATTEMPTS, DeliveryReporter, report_form

pytestmark = pytest.mark.anyio

URL = "http://receiver.test/reports"


def _message() -> InboxMessage:
    return InboxMessage(
        message_id="ATXid_1",
        to="+254711000001",
        sender=None,
        message="hi",
        status="Success",
        status_code=101,
        cost="KES 0.8000",
    )


def test_report_form_has_ats_fields_and_a_reason_only_on_failure() -> None:
    ok = report_form(_message(), ReportPlan("Success", None, duplicate=False), "63902")
    assert ok == {
        "id": "ATXid_1",
        "status": "Success",
        "phoneNumber": "+254711000001",
        "networkCode": "63902",
        "retryCount": "0",
    }
    failed = report_form(
        _message(), ReportPlan("Failed", "UserIsInactive", duplicate=False), "63902"
    )
    assert failed["failureReason"] == "UserIsInactive"


class Receiver:
    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.forms: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.forms.append(dict(parse_qsl(request.content.decode())))
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 0:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(status)


async def _run(receiver: Receiver, faults: FaultConfig, url: str | None = URL) -> Inbox:
    inbox = Inbox(limit=10)
    message = _message()
    inbox.add(message)
    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    injector = FaultInjector(faults)
    reporter = DeliveryReporter(url, "63902", inbox, lambda: injector, client=client, backoff_s=0)
    reporter.schedule([message])
    with anyio.fail_after(5):
        await reporter.drain()
    await reporter.aclose()
    return inbox


async def test_a_report_is_posted_after_the_delay_and_recorded() -> None:
    receiver = Receiver([])
    inbox = await _run(receiver, FaultConfig(report_delay_s=0))
    assert [f["id"] for f in receiver.forms] == ["ATXid_1"]
    stored = inbox.get("ATXid_1")
    assert stored is not None
    assert (stored.delivery_status, stored.reports_sent) == ("Success", 1)


async def test_a_failing_receiver_is_retried_until_it_answers() -> None:
    receiver = Receiver([500, 0])
    inbox = await _run(receiver, FaultConfig(report_delay_s=0))
    assert len(receiver.forms) == 3
    stored = inbox.get("ATXid_1")
    assert stored is not None
    assert stored.reports_sent == 1


async def test_retries_are_bounded() -> None:
    receiver = Receiver([500] * 10)
    inbox = await _run(receiver, FaultConfig(report_delay_s=0))
    assert len(receiver.forms) == ATTEMPTS
    stored = inbox.get("ATXid_1")
    assert stored is not None
    assert stored.delivery_status is None


async def test_duplicates_are_sent_twice_with_the_same_content() -> None:
    receiver = Receiver([])
    faults = FaultConfig(
        report_delay_s=0,
        duplicate_report_rate=1.0,
        report_by_number={"+254711000001": ReportOverride(status="Failed")},
    )
    await _run(receiver, faults)
    assert len(receiver.forms) == 2
    assert receiver.forms[0] == receiver.forms[1]
    assert receiver.forms[0]["failureReason"] == "DeliveryFailure"


async def test_without_a_callback_url_nothing_is_scheduled() -> None:
    receiver = Receiver([])
    await _run(receiver, FaultConfig(report_delay_s=0), url=None)
    assert receiver.forms == []


async def test_closing_cancels_pending_reports() -> None:
    receiver = Receiver([])
    inbox = Inbox(limit=10)
    injector = FaultInjector(FaultConfig(report_delay_s=60))
    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    reporter = DeliveryReporter(URL, "63902", inbox, lambda: injector, client=client)
    reporter.schedule([_message()])
    assert reporter.pending == 1
    await reporter.aclose()
    assert reporter.pending == 0
    assert receiver.forms == []


async def test_pending_reports_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import devtools.at_sandbox.reports as reports

    monkeypatch.setattr(reports, "MAX_PENDING", 1)
    receiver = Receiver([])
    injector = FaultInjector(FaultConfig(report_delay_s=60))
    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    reporter = DeliveryReporter(URL, "63902", Inbox(limit=10), lambda: injector, client=client)
    reporter.schedule([_message(), _message()])
    assert (reporter.pending, reporter.dropped) == (1, 1)
    await reporter.aclose()


async def test_reports_around_the_final_one_go_in_the_order_configured() -> None:
    receiver = Receiver([])
    override = ReportOverride(
        status="Failed",
        failure_reason="UserInBlackList",
        before=("Sent", "Submitted"),
        after=("Buffered", "Rejected"),
    )
    inbox = await _run(
        receiver,
        FaultConfig(report_delay_s=0, report_by_number={"+254711000001": override}),
    )
    sent = [(f["status"], f.get("failureReason")) for f in receiver.forms]
    assert sent == [
        ("Sent", None),
        ("Submitted", None),
        ("Failed", "UserInBlackList"),
        ("Buffered", None),
        ("Rejected", "UserInBlackList"),
    ]
    stored = inbox.get("ATXid_1")
    assert stored is not None
    # The late intermediate report leaves the latest final status showing.
    assert (stored.delivery_status, stored.reports_sent) == ("Rejected", 5)


@pytest.mark.parametrize("field", ["before", "after"])
def test_reports_around_the_final_one_must_be_ats_statuses(field: str) -> None:
    with pytest.raises(ValueError, match="before/after statuses"):
        ReportOverride.model_validate({field: ["Delivered"]})
