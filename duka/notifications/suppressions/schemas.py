from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from duka.notifications.suppressions.models import SuppressionSource

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def _e164(value: str) -> str:
    """AT writes numbers in E.164; some callbacks leave out the "+"."""
    number = value.strip()
    if not number.startswith("+"):
        number = "+" + number
    if not _E164.match(number):
        raise ValueError("must be an E.164 phone number such as +254712345678")
    return number


E164 = Annotated[str, AfterValidator(_e164)]


class OptOutIn(BaseModel):
    """The form Africa's Talking POSTs when a customer opts out of a sender id (Bulk SMS
    opt-out notification)."""

    # AT may add fields; unknown ones are ignored rather than refused (a refused callback
    # is retried by AT and then lost).
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    phone_number: E164 = Field(
        alias="phoneNumber", max_length=32, description="The number that opted out."
    )
    sender_id: str | None = Field(
        default=None,
        alias="senderId",
        max_length=64,
        description="The sender id the customer opted out of.",
    )


class OptOutResult(BaseModel):
    result: str = Field(
        description="suppressed: the number was added; already: it was on the list already.",
        examples=["suppressed"],
    )


class SuppressionPublic(BaseModel):
    id: uuid.UUID
    phone: str = Field(description="E.164; orders to it are stored `suppressed`, never sent.")
    source: SuppressionSource = Field(
        description=(
            "opt_out: AT's opt-out callback; blacklisted: a send AT answered 406 UserInBlacklist."
        )
    )
    sender_id: str | None = Field(description="The sender id opted out of (opt_out only).")
    created_at: datetime


class SuppressionPage(BaseModel):
    items: list[SuppressionPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")
