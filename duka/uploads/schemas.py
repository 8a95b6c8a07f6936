"""What an upload answers, and what identifies an upload for Idempotency-Key replays."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

UploadKind = Literal["customers", "orders"]


class UploadResult(BaseModel):
    kind: UploadKind = Field(description="What was created.")
    created: int = Field(
        description="How many were created: every row of the upload (uploads are all or nothing)."
    )


class UploadFingerprint(BaseModel):
    """The request as Idempotency-Key compares it: the rows' bytes, not the form framing."""

    kind: UploadKind
    format: str
    sha256: str
