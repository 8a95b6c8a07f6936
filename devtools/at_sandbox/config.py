"""Sandbox settings: command-line options over AT_SANDBOX_* environment variables over defaults.

The API key default is public on purpose: the sandbox guards nothing, and binds loopback only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.loopback import is_loopback

DEFAULT_API_KEY = "at-sandbox-key"


class SandboxConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AT_SANDBOX_", extra="ignore", frozen=True)

    host: str = Field(default="127.0.0.1", description="Loopback address to bind.")
    port: int = Field(default=8025, ge=0, le=65535, description="0 picks a free port.")
    username: str = Field(default="sandbox", min_length=1)
    api_key: str = Field(default=DEFAULT_API_KEY, min_length=1)
    sender_ids: list[str] = Field(
        default_factory=list,
        description="Registered sender ids; empty accepts any. Others get InvalidSenderId.",
    )
    callback_url: str | None = Field(
        default=None, description="Where delivery reports are POSTed; unset sends none."
    )
    opt_out_url: str | None = Field(
        default=None, description="Where opt-out notifications are POSTed; unset sends none."
    )
    inbox_limit: int = Field(
        default=100_000, ge=1, le=10_000_000, description="Oldest messages are dropped beyond."
    )
    max_recipients: int = Field(default=1000, ge=1, le=100_000)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    cost_per_segment: Decimal = Field(default=Decimal("0.8"), ge=0)
    currency: str = Field(default="KES", min_length=3, max_length=3)
    network_code: str = Field(default="63902", description="Reported networkCode (Safaricom).")
    accepted_status: int = Field(default=101, description="100, 101 or 102.")
    faults: FaultConfig = Field(default_factory=FaultConfig)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("host")
    @classmethod
    def _loopback_only(cls, value: str) -> str:
        if not is_loopback(value):
            raise ValueError("the sandbox binds loopback addresses only")
        return value

    @field_validator("accepted_status")
    @classmethod
    def _accepted(cls, value: int) -> int:
        if value not in (100, 101, 102):
            raise ValueError("accepted_status must be 100, 101 or 102")
        return value
