from __future__ import annotations

import pytest

from duka.notifications.sms.at_status import (
    STATUS_RULES,
    classify_recipient,
    classify_send_response,
    rule_for,
)
from duka.notifications.sms.gateway import SendOutcome

A, T, P, U = (
    SendOutcome.ACCEPTED,
    SendOutcome.TRANSIENT,
    SendOutcome.PERMANENT,
    SendOutcome.UNKNOWN,
)

# The documented decisions, one line per code: (outcome, needs_operator).
DECISIONS = {
    100: (A, False),
    101: (A, False),
    102: (A, False),
    401: (P, True),
    402: (P, True),
    403: (P, False),
    404: (P, False),
    405: (P, True),
    406: (P, False),
    407: (T, False),
    409: (P, False),
    500: (T, False),
    501: (T, False),
    502: (T, False),
}


def test_every_documented_code_has_its_decided_outcome() -> None:
    assert set(STATUS_RULES) == set(DECISIONS)
    for code, (outcome, operator) in DECISIONS.items():
        rule = rule_for(code)
        assert (rule.outcome, rule.needs_operator) == (outcome, operator), code


@pytest.mark.parametrize(
    ("code", "outcome"), [(408, P), (410, P), (503, T), (599, T), (200, U), (103, U)]
)
def test_undocumented_codes_fall_back_by_class(code: int, outcome: SendOutcome) -> None:
    assert rule_for(code).outcome is outcome
    assert rule_for(code).name == f"Status{code}"


def _entry(
    code: object, status: str = "Success", message_id: object = "ATXid_1"
) -> dict[str, object]:
    return {
        "statusCode": code,
        "number": "+254711000001",
        "status": status,
        "cost": "KES 0.8000",
        "messageId": message_id,
    }


def test_accepted_recipient_carries_message_id_and_cost() -> None:
    result = classify_recipient(_entry(101))
    assert result.outcome is A
    assert (result.provider_message_id, result.cost, result.status_code) == (
        "ATXid_1",
        "KES 0.8000",
        101,
    )
    assert result.reason == "Success"


@pytest.mark.parametrize("missing", [None, "", "None"])
def test_accepted_without_message_id_is_still_accepted_but_says_so(missing: object) -> None:
    result = classify_recipient(_entry(102, "Queued", missing))
    assert result.outcome is A
    assert result.provider_message_id is None
    assert "messageId" in result.detail


def test_refused_recipient_names_the_status_and_has_no_id() -> None:
    result = classify_recipient(
        {
            "statusCode": 403,
            "number": "+1",
            "status": "InvalidPhoneNumber",
            "cost": "0",
            "messageId": "None",
        }
    )
    assert (result.outcome, result.reason, result.status_code) == (P, "InvalidPhoneNumber", 403)
    assert result.provider_message_id is None
    assert result.cost is None


def test_status_code_as_text_or_missing_is_read_from_what_is_there() -> None:
    assert classify_recipient(_entry("101")).outcome is A
    assert classify_recipient(_entry(None, "InsufficientBalance")).status_code == 405
    assert classify_recipient({"status": "Success", "messageId": "ATXid_2"}).outcome is A
    unreadable = classify_recipient(_entry(True, "Mystery"))
    assert (unreadable.outcome, unreadable.reason) == (U, "unexpected_response")


def test_status_name_missing_falls_back_to_the_rule_name() -> None:
    assert classify_recipient({"statusCode": 407}).reason == "CouldNotRoute"


def _answer(*entries: dict[str, object], message: str = "Sent to 1/1") -> dict[str, object]:
    return {"SMSMessageData": {"Message": message, "Recipients": list(entries)}}


def test_response_for_our_number_is_classified() -> None:
    other = _entry(403, "InvalidPhoneNumber") | {"number": "+254700000000"}
    mine = _entry(101)
    assert classify_send_response(_answer(other, mine), "+254711000001").outcome is A


def test_single_recipient_echoed_in_another_format_still_counts() -> None:
    entry = _entry(101) | {"number": "254711000001"}
    assert classify_send_response(_answer(entry), "+254711000001").outcome is A


def test_several_recipients_none_matching_is_unknown() -> None:
    a = _entry(101) | {"number": "+1"}
    b = _entry(101) | {"number": "+2"}
    assert classify_send_response(_answer(a, b), "+254711000001").outcome is U


def test_request_wide_refusal_with_no_recipients_uses_the_message() -> None:
    result = classify_send_response(_answer(message="InvalidSenderId"), "+254711000001")
    assert (result.outcome, result.reason, result.needs_operator) == (P, "InvalidSenderId", True)
    odd = classify_send_response(_answer(message="Something new"), "+254711000001")
    assert (odd.outcome, odd.reason) == (U, "unexpected_response")


@pytest.mark.parametrize(
    "payload",
    [
        "Sent",
        None,
        {"other": 1},
        {"SMSMessageData": "x"},
        {"SMSMessageData": {"Message": "x", "Recipients": "nope"}},
    ],
)
def test_unreadable_2xx_answers_are_unknown(payload: object) -> None:
    result = classify_send_response(payload, "+254711000001")
    assert (result.outcome, result.reason) == (U, "unexpected_response")
