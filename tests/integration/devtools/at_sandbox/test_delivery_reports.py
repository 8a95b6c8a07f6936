"""Delivery-report callbacks from a running sandbox to a local receiver."""

from __future__ import annotations

import time
from collections.abc import Iterator

import africastalking
import pytest

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig, ReportOverride
from devtools.at_sandbox.runner import SandboxServer
from tests.support.report_receiver import ReportReceiver

pytestmark = pytest.mark.filterwarnings("ignore:Sandbox is currently not available")

NUMBER = "+254711000001"


@pytest.fixture
def report_receiver() -> Iterator[ReportReceiver]:
    with ReportReceiver() as receiver:
        yield receiver


@pytest.fixture
def sandbox_config(report_receiver: ReportReceiver) -> SandboxConfig:
    """The shared `sandbox`, reporting to the local receiver."""
    return SandboxConfig(
        port=0,
        api_key="k",
        callback_url=report_receiver.url,
        faults=FaultConfig(report_delay_s=0.05),
    )


def _send(sandbox: SandboxServer, *numbers: str) -> list[str]:
    africastalking.initialize("sandbox", "k")
    africastalking.SMS._baseUrl = sandbox.base_url + "/version1"
    answer = africastalking.SMS.send("hi", list(numbers))
    return [r["messageId"] for r in answer["SMSMessageData"]["Recipients"]]


def test_each_accepted_message_gets_a_form_encoded_report(
    sandbox: SandboxServer, report_receiver: ReportReceiver
) -> None:
    [message_id] = _send(sandbox, NUMBER)
    [report] = report_receiver.wait_for(1)
    assert report == {
        "id": message_id,
        "status": "Success",
        "phoneNumber": NUMBER,
        "networkCode": "63902",
        "retryCount": "0",
    }
    assert report_receiver.content_types == ["application/x-www-form-urlencoded"]
    # The sandbox marks the message reported once Duka's answer to the POST is back, which
    # can be just after the receiver has the form: wait for that mark, briefly.
    # `get` answers a copy, so read again each time.
    deadline = time.monotonic() + 5
    stored = sandbox.state.inbox.get(message_id)
    while stored is not None and stored.delivery_status is None and time.monotonic() < deadline:
        time.sleep(0.02)
        stored = sandbox.state.inbox.get(message_id)
    assert stored is not None
    assert stored.delivery_status == "Success"


def test_refused_recipients_get_no_report(
    sandbox: SandboxServer, report_receiver: ReportReceiver
) -> None:
    ids = _send(sandbox, "+0123456", NUMBER)
    reports = report_receiver.wait_for(1)
    assert [r["id"] for r in reports] == [ids[1]]


def test_failed_deliveries_carry_a_failure_reason(
    sandbox: SandboxServer, report_receiver: ReportReceiver
) -> None:
    sandbox.state.set_faults(
        FaultConfig(
            report_delay_s=0,
            report_by_number={
                NUMBER: ReportOverride.model_validate(
                    {"status": "Failed", "failureReason": "UserIsInactive"}
                )
            },
        )
    )
    _send(sandbox, NUMBER)
    [report] = report_receiver.wait_for(1)
    assert (report["status"], report["failureReason"]) == ("Failed", "UserIsInactive")


def test_duplicate_reports_exercise_idempotent_receivers(
    sandbox: SandboxServer, report_receiver: ReportReceiver
) -> None:
    sandbox.state.set_faults(FaultConfig(report_delay_s=0, duplicate_report_rate=1.0))
    [message_id] = _send(sandbox, NUMBER)
    first, second = report_receiver.wait_for(2)
    assert first == second
    assert first["id"] == message_id


def test_a_failing_receiver_gets_the_report_again(
    report_receiver: ReportReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_receiver.fail_first = 1
    config = SandboxConfig(
        port=0, api_key="k", callback_url=report_receiver.url, faults=FaultConfig(report_delay_s=0)
    )
    with SandboxServer(config) as server:
        server.state.reporter._backoff_s = 0.01
        [message_id] = _send(server, NUMBER)
        [report] = report_receiver.wait_for(1)
    assert report["id"] == message_id
