"""The official africastalking SDK, unchanged but for its base URL, against the sandbox.

Shapes checked against AT's documentation: a 201 JSON answer with SMSMessageData.Message
("Sent to n/m Total Cost: KES x") and Recipients[] of statusCode (int), number, status,
cost and messageId (strings); a 401 plain-text answer for bad credentials.
"""

from __future__ import annotations

import re
from typing import Any

import africastalking
import httpx
import pytest
from africastalking.Service import AfricasTalkingException

from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.runner import SandboxServer

pytestmark = pytest.mark.filterwarnings("ignore:Sandbox is currently not available")

SUMMARY = re.compile(r"^Sent to (\d+)/(\d+) Total Cost: (KES \d+\.\d{4}|0)$")
MESSAGE_ID = re.compile(r"^ATXid_[0-9a-f]{32}$")


@pytest.fixture
def sms(sandbox: SandboxServer) -> Any:
    africastalking.initialize(sandbox.config.username, sandbox.config.api_key)
    service = africastalking.SMS
    service._baseUrl = sandbox.base_url + "/version1"
    return service


def test_sdk_send_gets_the_documented_answer(sms: Any, sandbox: SandboxServer) -> None:
    answer = sms.send("Hello from Duka", ["+254711000001"], sender_id="DUKA")
    data = answer["SMSMessageData"]
    assert set(answer) == {"SMSMessageData"}
    assert set(data) == {"Message", "Recipients"}
    assert SUMMARY.match(data["Message"])
    assert data["Message"] == "Sent to 1/1 Total Cost: KES 0.8000"
    [recipient] = data["Recipients"]
    assert set(recipient) == {"statusCode", "number", "status", "cost", "messageId"}
    assert isinstance(recipient["statusCode"], int)
    assert recipient["statusCode"] == 101
    assert (recipient["number"], recipient["status"], recipient["cost"]) == (
        "+254711000001",
        "Success",
        "KES 0.8000",
    )
    assert MESSAGE_ID.match(recipient["messageId"])
    [stored] = sandbox.state.inbox.find()
    assert (stored.message_id, stored.sender) == (recipient["messageId"], "DUKA")


def test_sdk_send_to_several_with_a_refused_number_and_enqueue(sms: Any) -> None:
    answer = sms.send("hi", ["+254711000001", "+0123456", "+254711000002"], enqueue=True)
    data = answer["SMSMessageData"]
    assert data["Message"] == "Sent to 2/3 Total Cost: KES 1.6000"
    refused = data["Recipients"][1]
    assert refused == {
        "statusCode": 403,
        "number": "+0123456",
        "status": "InvalidPhoneNumber",
        "cost": "0",
        "messageId": "None",
    }


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (401, "RiskHold"),
        (402, "InvalidSenderId"),
        (404, "UnsupportedNumberType"),
        (405, "InsufficientBalance"),
        (406, "UserInBlacklist"),
        (407, "CouldNotRoute"),
        (409, "DoNotDisturbRejection"),
        (500, "InternalServerError"),
        (501, "GatewayError"),
        (502, "RejectedByGateway"),
        (100, "Processed"),
        (102, "Queued"),
    ],
)
def test_each_status_code_comes_with_its_documented_name(
    sms: Any, sandbox: SandboxServer, code: int, status: str
) -> None:
    sandbox.state.set_faults(FaultConfig(status_by_number={"+254711000001": code}))
    [recipient] = sms.send("hi", ["+254711000001"])["SMSMessageData"]["Recipients"]
    assert (recipient["statusCode"], recipient["status"]) == (code, status)


def test_a_wrong_api_key_raises_the_sdk_exception(sandbox: SandboxServer) -> None:
    africastalking.initialize(sandbox.config.username, "not-the-key")
    africastalking.SMS._baseUrl = sandbox.base_url + "/version1"
    with pytest.raises(AfricasTalkingException, match=r"^The supplied authentication is invalid$"):
        africastalking.SMS.send("hi", ["+254711000001"])
    assert sandbox.state.inbox.count() == 0


def test_a_wrong_username_raises_the_sdk_exception(sandbox: SandboxServer) -> None:
    africastalking.initialize("someone-else", sandbox.config.api_key)
    africastalking.SMS._baseUrl = sandbox.base_url + "/version1"
    with pytest.raises(AfricasTalkingException, match="authentication is invalid"):
        africastalking.SMS.send("hi", ["+254711000001"])


def test_an_injected_500_raises_the_sdk_exception(sms: Any, sandbox: SandboxServer) -> None:
    sandbox.state.set_faults(FaultConfig(error_rate=1.0))
    with pytest.raises(AfricasTalkingException, match="Internal Server Error"):
        sms.send("hi", ["+254711000001"])


def test_timeouts_and_broken_answers_reach_the_sdk_as_requests_errors(
    sms: Any, sandbox: SandboxServer
) -> None:
    import requests

    sandbox.state.set_faults(FaultConfig(timeout_rate=1.0, timeout_hold_s=1.0))
    with pytest.raises(requests.ReadTimeout):
        sms.send("hi", ["+254711000001"], timeout=(1.0, 0.2))
    # Held past the client's patience and then closed: a client that waits longer sees the
    # connection break instead of an answer.
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        sms.send("hi", ["+254711000001"], timeout=(1.0, 5.0))
    sandbox.state.set_faults(FaultConfig(disconnect_rate=1.0))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        sms.send("hi", ["+254711000001"])
    assert sandbox.state.inbox.count() == 0


def test_the_bulk_endpoint_answers_in_the_same_shape(sandbox: SandboxServer) -> None:
    response = httpx.post(
        sandbox.base_url + "/version1/messaging/bulk",
        headers={"apiKey": sandbox.config.api_key, "Accept": "application/json"},
        json={
            "username": sandbox.config.username,
            "message": "hi",
            "senderId": "DUKA",
            "phoneNumbers": ["+254711000001"],
        },
    )
    assert response.status_code == 201
    [recipient] = response.json()["SMSMessageData"]["Recipients"]
    assert recipient["status"] == "Success"
    assert MESSAGE_ID.match(recipient["messageId"])


def test_admin_endpoints_work_over_the_wire(sandbox: SandboxServer) -> None:
    base = sandbox.base_url
    set_faults = httpx.post(
        base + "/_sandbox/faults", json={"status_by_number": {"+254700000403": 403}}
    )
    assert set_faults.status_code == 200
    assert sandbox.state.faults.config.status_by_number == {"+254700000403": 403}
    assert httpx.get(base + "/_sandbox/inbox").json()["count"] == 0
    assert httpx.delete(base + "/_sandbox/faults").json()["status_by_number"] == {}
