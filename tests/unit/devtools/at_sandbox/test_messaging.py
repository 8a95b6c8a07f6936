from __future__ import annotations

from typing import Any

import pytest

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig, FaultInjector
from devtools.at_sandbox.messaging import (
    BadRequestError,
    SendRequest,
    decide,
    parse_bulk,
    parse_form,
)

FORM = {"username": "sandbox", "to": "+254711000001", "message": "hi"}


def test_form_is_read_with_trimmed_comma_separated_recipients() -> None:
    parsed = parse_form(FORM | {"to": " +1555000111 ,+254711000001,, ", "from": "DUKA"}, 10)
    assert parsed == SendRequest("sandbox", ["+1555000111", "+254711000001"], "hi", "DUKA")
    assert parse_form(FORM | {"from": ""}, 10).sender_id is None


@pytest.mark.parametrize("field", ["username", "to", "message"])
def test_each_required_form_field_is_named_when_missing(field: str) -> None:
    fields = {k: v for k, v in FORM.items() if k != field}
    with pytest.raises(BadRequestError, match=f"missing required form field '{field}'"):
        parse_form(fields, 10)
    with pytest.raises(BadRequestError, match=field):
        parse_form(FORM | {field: "  "}, 10)


@pytest.mark.parametrize(
    "extra",
    [{"enqueue": "yes"}, {"bulkSMSMode": "2"}, {"retryDurationInHours": "1.5"}],
)
def test_malformed_optional_fields_are_rejected(extra: dict[str, str]) -> None:
    with pytest.raises(BadRequestError, match="Invalid value"):
        parse_form(FORM | extra, 10)


def test_optional_fields_the_sdk_sends_are_accepted() -> None:
    extra = {
        "enqueue": "1",
        "bulkSMSMode": "1",
        "keyword": "k",
        "linkId": "l",
        "retryDurationInHours": "2",
    }
    assert parse_form(FORM | extra, 10).recipients == ["+254711000001"]


def test_too_many_or_no_real_recipients_are_rejected() -> None:
    with pytest.raises(BadRequestError, match="at most 2"):
        parse_form(FORM | {"to": "+1555000111,+1555000112,+1555000113"}, 2)
    with pytest.raises(BadRequestError, match="'to'"):
        parse_form(FORM | {"to": " , ,"}, 10)


def test_bulk_json_is_read() -> None:
    body = {
        "username": "sandbox",
        "message": "hi",
        "senderId": "DUKA",
        "phoneNumbers": ["+1555000111"],
    }
    assert parse_bulk(body, 10) == SendRequest("sandbox", ["+1555000111"], "hi", "DUKA")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ([], "JSON object"),
        ({"message": "m", "phoneNumbers": ["+1"]}, "'username'"),
        ({"username": "u", "phoneNumbers": ["+1"]}, "'message'"),
        ({"username": "u", "message": "m", "phoneNumbers": []}, "'phoneNumbers'"),
        ({"username": 1, "message": "m", "phoneNumbers": ["+1"]}, "strings"),
        ({"username": "u", "message": "m", "phoneNumbers": "+1"}, "list of strings"),
        ({"username": "u", "message": "m", "phoneNumbers": [1]}, "list of strings"),
        ({"username": "u", "message": "m", "phoneNumbers": ["+1"], "senderId": 5}, "senderId"),
        ({"username": "u", "message": "m", "phoneNumbers": [" "]}, "'to'"),
    ],
)
def test_bad_bulk_bodies_are_rejected(body: Any, match: str) -> None:
    with pytest.raises(BadRequestError, match=match):
        parse_bulk(body, 10)


def _decide(request: SendRequest, faults: FaultConfig | None = None, **config: Any) -> Any:
    return decide(request, SandboxConfig(**config), FaultInjector(faults or FaultConfig()))


def test_accepted_recipients_are_priced_per_segment_and_get_ids() -> None:
    outcome = _decide(SendRequest("sandbox", ["+254711000001"], "x" * 200, None))
    [recipient] = outcome.body["SMSMessageData"]["Recipients"]
    assert recipient["statusCode"] == 101
    assert recipient["status"] == "Success"
    assert recipient["cost"] == "KES 1.6000"
    assert recipient["messageId"].startswith("ATXid_")
    assert len(recipient["messageId"]) == 38
    assert outcome.body["SMSMessageData"]["Message"] == "Sent to 1/1 Total Cost: KES 1.6000"
    assert [m.message_id for m in outcome.accepted] == [recipient["messageId"]]


def test_invalid_and_forced_numbers_are_refused_with_no_id_and_no_cost() -> None:
    faults = FaultConfig(status_by_number={"+254700000406": 406})
    request = SendRequest("sandbox", ["+0123456", "+254700000406", "+254711000001"], "hi", None)
    outcome = _decide(request, faults, accepted_status=102)
    codes = [
        (r["statusCode"], r["status"], r["cost"], r["messageId"])
        for r in outcome.body["SMSMessageData"]["Recipients"]
    ]
    assert codes[:2] == [
        (403, "InvalidPhoneNumber", "0", "None"),
        (406, "UserInBlacklist", "0", "None"),
    ]
    assert codes[2][:3] == (102, "Queued", "KES 0.8000")
    assert outcome.body["SMSMessageData"]["Message"] == "Sent to 1/3 Total Cost: KES 0.8000"


def test_nothing_sent_costs_zero() -> None:
    faults = FaultConfig(status_by_number={"+254711000001": 405})
    outcome = _decide(SendRequest("sandbox", ["+254711000001"], "hi", None), faults)
    assert outcome.body["SMSMessageData"]["Message"] == "Sent to 0/1 Total Cost: 0"
    assert outcome.accepted == []


def test_an_unregistered_sender_id_refuses_the_whole_request() -> None:
    request = SendRequest("sandbox", ["+254711000001"], "hi", "OTHER")
    outcome = _decide(request, sender_ids=["DUKA"])
    assert outcome.body == {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}
    assert _decide(
        request.__class__("sandbox", ["+254711000001"], "hi", None), sender_ids=["DUKA"]
    ).accepted
