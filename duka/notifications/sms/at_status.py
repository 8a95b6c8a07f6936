"""Africa's Talking per-recipient status codes, and what each means for Duka.

Op = needs_operator: a person must act before sends can succeed.

| code | status                | outcome   | op  | why                                             |
|------|-----------------------|-----------|-----|-------------------------------------------------|
| 100  | Processed             | ACCEPTED  |     | taken; delivery follows                         |
| 101  | Sent (says "Success") | ACCEPTED  |     | taken and handed to the network                 |
| 102  | Queued                | ACCEPTED  |     | taken; AT sends it shortly                      |
| 401  | RiskHold              | PERMANENT | yes | held by AT's risk checks; the same text is held |
|      |                       |           |     | again until someone clears it with AT           |
| 402  | InvalidSenderId       | PERMANENT | yes | configuration: every send fails until fixed     |
| 403  | InvalidPhoneNumber    | PERMANENT |     | the number is wrong; resending cannot help      |
| 404  | UnsupportedNumberType | PERMANENT |     | the number cannot receive this SMS              |
| 405  | InsufficientBalance   | PERMANENT | yes | never retried blindly: the flow pauses, alerts, |
|      |                       |           |     | and may re-queue after a top-up                 |
| 406  | UserInBlacklist       | PERMANENT |     | the customer opted out; resending ignores that: |
|      |                       |           |     | the number goes on the suppression list         |
| 407  | CouldNotRoute         | TRANSIENT |     | no route to the network right now; routes come  |
|      |                       |           |     | back: retry with backoff, bounded attempts      |
| 409  | DoNotDisturbRejection | PERMANENT |     | the customer's DND setting; respect it          |
| 500  | InternalServerError   | TRANSIENT |     | AT-side failure                                 |
| 501  | GatewayError          | TRANSIENT |     | telco gateway failure                           |
| 502  | RejectedByGateway     | TRANSIENT |     | telco gateway refused for now                   |

A code not in the table is PERMANENT when 4xx, TRANSIENT when 5xx, otherwise UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from duka.notifications.sms.gateway import SendOutcome, SendResult


@dataclass(frozen=True, slots=True)
class StatusRule:
    code: int
    name: str
    outcome: SendOutcome
    needs_operator: bool = False
    recipient_blocked: bool = False


_A, _T, _P = SendOutcome.ACCEPTED, SendOutcome.TRANSIENT, SendOutcome.PERMANENT

STATUS_RULES: Mapping[int, StatusRule] = {
    rule.code: rule
    for rule in (
        StatusRule(100, "Processed", _A),
        StatusRule(101, "Sent", _A),
        StatusRule(102, "Queued", _A),
        StatusRule(401, "RiskHold", _P, needs_operator=True),
        StatusRule(402, "InvalidSenderId", _P, needs_operator=True),
        StatusRule(403, "InvalidPhoneNumber", _P),
        StatusRule(404, "UnsupportedNumberType", _P),
        StatusRule(405, "InsufficientBalance", _P, needs_operator=True),
        StatusRule(406, "UserInBlacklist", _P, recipient_blocked=True),
        StatusRule(407, "CouldNotRoute", _T),
        StatusRule(409, "DoNotDisturbRejection", _P),
        StatusRule(500, "InternalServerError", _T),
        StatusRule(501, "GatewayError", _T),
        StatusRule(502, "RejectedByGateway", _T),
    )
}
_BY_NAME = {rule.name: rule for rule in STATUS_RULES.values()}
# AT reports an accepted message with status "Success" (its docs' example pairs it with 101).
_BY_NAME["Success"] = STATUS_RULES[101]

# What AT puts in messageId when there is none.
_NO_ID = frozenset({"", "None", "none", "null"})


def rule_for(code: int) -> StatusRule:
    known = STATUS_RULES.get(code)
    if known is not None:
        return known
    if 400 <= code < 500:
        return StatusRule(code, f"Status{code}", SendOutcome.PERMANENT)
    if 500 <= code < 600:
        return StatusRule(code, f"Status{code}", SendOutcome.TRANSIENT)
    return StatusRule(code, f"Status{code}", SendOutcome.UNKNOWN)


def _unexpected(detail: str) -> SendResult:
    return SendResult(SendOutcome.UNKNOWN, "unexpected_response", detail)


def _code_of(entry: Mapping[str, object]) -> int | None:
    raw = entry.get("statusCode")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw)
    status = entry.get("status")
    named = _BY_NAME.get(status) if isinstance(status, str) else None
    return named.code if named else None


def classify_recipient(entry: Mapping[str, object]) -> SendResult:
    """One element of SMSMessageData.Recipients → SendResult."""
    code = _code_of(entry)
    if code is None:
        return _unexpected(f"recipient entry without a usable statusCode: {entry.get('status')!r}")
    rule = rule_for(code)
    status = entry.get("status")
    reason = status if isinstance(status, str) and status else rule.name
    if rule.outcome is not SendOutcome.ACCEPTED:
        return SendResult(
            rule.outcome,
            reason,
            f"Africa's Talking answered {code} {reason}",
            status_code=code,
            needs_operator=rule.needs_operator,
            recipient_blocked=rule.recipient_blocked,
        )
    message_id = entry.get("messageId")
    cost = entry.get("cost")
    has_id = isinstance(message_id, str) and message_id not in _NO_ID
    return SendResult(
        SendOutcome.ACCEPTED,
        reason,
        "" if has_id else "accepted without a messageId: delivery reports cannot be matched",
        provider_message_id=message_id if has_id and isinstance(message_id, str) else None,
        cost=cost if isinstance(cost, str) else None,
        status_code=code,
    )


def classify_send_response(payload: object, recipient: str) -> SendResult:
    """The SDK's return value for a 2xx answer (parsed JSON, or text) → SendResult.

    The request did reach AT, so anything we cannot read is UNKNOWN, not TRANSIENT.
    """
    if not isinstance(payload, Mapping):
        return _unexpected("2xx answer that is not JSON")
    data = payload.get("SMSMessageData")
    if not isinstance(data, Mapping):
        return _unexpected("2xx answer without SMSMessageData")
    recipients = data.get("Recipients")
    summary = data.get("Message")
    if not isinstance(recipients, list):
        return _unexpected("2xx answer without a Recipients list")
    entries = [e for e in recipients if isinstance(e, Mapping)]
    if not entries:
        # AT answers e.g. {"Message": "InvalidSenderId", "Recipients": []} for request-wide
        # refusals; the summary then names a status.
        rule = _BY_NAME.get(summary) if isinstance(summary, str) else None
        if rule is None:
            return _unexpected(f"no recipients in the answer: {summary!r}")
        return SendResult(
            rule.outcome,
            rule.name,
            f"Africa's Talking refused the request: {rule.name}",
            status_code=rule.code,
            needs_operator=rule.needs_operator,
        )
    mine = [e for e in entries if e.get("number") == recipient]
    if len(mine) == 1:
        return classify_recipient(mine[0])
    if len(entries) == 1 and not mine:
        # AT may echo the number reformatted; with one recipient sent there is no ambiguity.
        return classify_recipient(entries[0])
    return _unexpected(f"{len(entries)} recipients in the answer, {len(mine)} matching")
