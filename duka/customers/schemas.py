from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from duka.core.types import CustomerCode, Name, PhoneInput

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=False)


class CustomerCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "CUST-0001", "name": "Jane Wanjiku", "phone": "0712345678"}]
        },
    )

    code: CustomerCode | None = Field(
        default=None,
        description="Unique, case-insensitive short code; generated (CUST-000001…) when omitted.",
    )
    name: Name = Field(description="Display name, 1-200 characters, no control characters.")
    phone: PhoneInput = Field(
        description="Phone number; E.164 (+254712345678) or local to the default region (KE)."
    )


class CustomerUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Jane W. Kamau"}]}
    )

    code: CustomerCode | None = None
    name: Name | None = None
    phone: PhoneInput | None = None


class CustomerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    phone: str = Field(description="E.164")
    created_at: datetime
    updated_at: datetime


class CustomerPage(BaseModel):
    items: list[CustomerPublic]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
