from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DeliveryReportIn(BaseModel):
    """The form Africa's Talking POSTs for each status change of a message."""

    # AT may add fields; unknown ones are ignored rather than refused (a refused report is
    # retried by AT and then lost).
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(min_length=1, max_length=128, description="The messageId of the send.")
    status: str = Field(
        min_length=1, max_length=32, description="Success, Failed, Rejected, Sent, Buffered..."
    )
    phone_number: str | None = Field(default=None, alias="phoneNumber", max_length=32)
    network_code: str | None = Field(default=None, alias="networkCode", max_length=16)
    failure_reason: str | None = Field(default=None, alias="failureReason", max_length=64)
    retry_count: int | None = Field(default=None, alias="retryCount", ge=0, le=1_000_000)


class DeliveryReportResult(BaseModel):
    result: Literal["applied", "recorded", "duplicate"] = Field(
        description=(
            "applied: the order's notification changed; recorded: kept (intermediate status, "
            "or no matching message yet); duplicate: seen before, nothing changed."
        )
    )
