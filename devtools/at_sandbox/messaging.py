"""Reading a send request the way AT does, and deciding what happens to each recipient."""

from __future__ import annotations

import re
import secrets
from collections.abc import Container, Mapping
from dataclasses import dataclass
from decimal import Decimal

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultInjector
from devtools.at_sandbox.inbox import InboxMessage
from devtools.at_sandbox.segments import count_segments
from devtools.at_sandbox.statuses import RECIPIENT_STATUS, is_accepted

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_FLAGS = frozenset({"0", "1"})


class BadRequestError(Exception):
    """Answered 400 with the message as a plain-text body, as AT does."""


@dataclass(frozen=True, slots=True)
class SendRequest:
    username: str
    recipients: list[str]
    message: str
    sender_id: str | None


def _missing(name: str) -> BadRequestError:
    return BadRequestError(f"Request is missing required form field '{name}'")


def parse_form(fields: Mapping[str, str], max_recipients: int) -> SendRequest:
    """Fields of POST /version1/messaging (first value of each)."""
    for name in ("username", "to", "message"):
        if not fields.get(name, "").strip():
            raise _missing(name)
    for flag in ("enqueue", "bulkSMSMode"):
        if flag in fields and fields[flag] not in _FLAGS:
            raise BadRequestError(f"Invalid value for '{flag}': use 0 or 1")
    retry = fields.get("retryDurationInHours")
    if retry is not None and not retry.isdigit():
        raise BadRequestError("Invalid value for 'retryDurationInHours': use whole hours")
    recipients = [n.strip() for n in fields["to"].split(",") if n.strip()]
    return _checked(
        SendRequest(
            username=fields["username"],
            recipients=recipients,
            message=fields["message"],
            sender_id=fields.get("from") or None,
        ),
        max_recipients,
    )


def parse_bulk(data: object, max_recipients: int) -> SendRequest:
    """Body of POST /version1/messaging/bulk: {username, message, senderId, phoneNumbers}."""
    if not isinstance(data, dict):
        raise BadRequestError("Request body must be a JSON object")
    for name in ("username", "message", "phoneNumbers"):
        if name not in data or data[name] in (None, "", []):
            raise BadRequestError(f"Request is missing required field '{name}'")
    username, message, numbers = data["username"], data["message"], data["phoneNumbers"]
    sender = data.get("senderId")
    if not isinstance(username, str) or not isinstance(message, str):
        raise BadRequestError("Invalid value for 'username' or 'message': use strings")
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise BadRequestError("Invalid value for 'phoneNumbers': use a list of strings")
    if sender is not None and not isinstance(sender, str):
        raise BadRequestError("Invalid value for 'senderId': use a string")
    request = SendRequest(
        username=username,
        recipients=[n.strip() for n in numbers if n.strip()],
        message=message,
        sender_id=sender or None,
    )
    return _checked(request, max_recipients)


def _checked(request: SendRequest, max_recipients: int) -> SendRequest:
    if not request.recipients:
        raise _missing("to")
    if len(request.recipients) > max_recipients:
        raise BadRequestError(f"Invalid value for 'to': at most {max_recipients} recipients")
    return request


@dataclass(frozen=True, slots=True)
class Outcome:
    body: dict[str, object]
    accepted: list[InboxMessage]


def _money(config: SandboxConfig, amount: Decimal) -> str:
    return f"{config.currency} {amount:.4f}"


def decide(
    request: SendRequest,
    config: SandboxConfig,
    faults: FaultInjector,
    blacklisted: Container[str] = frozenset(),
) -> Outcome:
    """The answer to a valid, authenticated request, and the messages it accepts.
    `blacklisted` numbers (opted out) answer 406 UserInBlacklist, as AT's do."""
    if config.sender_ids and request.sender_id and request.sender_id not in config.sender_ids:
        # AT refuses the whole request this way, with no recipients.
        body: dict[str, object] = {
            "SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}
        }
        return Outcome(body=body, accepted=[])
    price = config.cost_per_segment * count_segments(request.message)
    recipients: list[dict[str, object]] = []
    accepted: list[InboxMessage] = []
    for number in request.recipients:
        forced = faults.recipient_status(number)
        if not _E164.match(number):
            code = 403
        elif number in blacklisted:
            code = 406
        else:
            code = forced if forced is not None else config.accepted_status
        status = RECIPIENT_STATUS[code]
        if is_accepted(code):
            message_id, cost = "ATXid_" + secrets.token_hex(16), _money(config, price)
            accepted.append(
                InboxMessage(
                    message_id=message_id,
                    to=number,
                    sender=request.sender_id,
                    message=request.message,
                    status=status,
                    status_code=code,
                    cost=cost,
                )
            )
        else:
            message_id, cost = "None", "0"
        recipients.append(
            {
                "statusCode": code,
                "number": number,
                "status": status,
                "cost": cost,
                "messageId": message_id,
            }
        )
    total = price * len(accepted)
    summary = f"Sent to {len(accepted)}/{len(recipients)} Total Cost: " + (
        _money(config, total) if accepted else "0"
    )
    body = {"SMSMessageData": {"Message": summary, "Recipients": recipients}}
    return Outcome(body=body, accepted=accepted)
