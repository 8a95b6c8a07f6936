"""Service configuration, read from DUKA_* environment variables.

Nothing reads the environment at import time: callers go through `get_settings()`,
which tests override by clearing its cache or by FastAPI dependency overrides.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PostgresDsn, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUKA_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="Deployment environment name."
    )
    database_url: SecretStr | None = Field(
        default=None,
        description=(
            "PostgreSQL URL (postgresql://user:pass@host:port/db). "
            "Unset: start the embedded PostgreSQL server under DUKA_STATE_DIR."
        ),
    )
    state_dir: Path = Field(
        default=Path(".state"), description="Where embedded services keep their data."
    )
    embedded_pg_port: int = Field(
        default=54329, ge=1024, le=65535, description="TCP port of the embedded PostgreSQL."
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout_s: float = Field(default=5.0, gt=0)
    db_connect_timeout_s: int = Field(default=3, ge=1)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    default_phone_region: str = Field(
        default="KE", min_length=2, max_length=2, description="Region for local phone numbers."
    )
    default_currency: str = Field(default="KES", min_length=3, max_length=3)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="JSON request limit.")
    max_upload_bytes: int = Field(
        default=128 * 1_048_576, ge=1024, description="Bulk upload request limit."
    )
    max_upload_rows: int = Field(default=200_000, ge=1)
    cors_origins: list[str] = Field(
        default_factory=list, description="Explicit CORS allow-list (JSON list of origins)."
    )
    dev_principal_subject: str = Field(
        default="dev-user",
        description="Subject used for created_by until OIDC is configured (development only).",
    )
    sms_template: str = Field(
        default=(
            "Hi {customer_name}, we received your order {order_ref}: {quantity} x {item}, "
            "{currency} {amount} on {ordered_at}. Thank you!"
        ),
        description="Order SMS template; placeholders are filled from the order, never parsed.",
    )
    display_timezone: str = Field(
        default="Africa/Nairobi", description="Time zone for times shown in SMS text."
    )
    host: str = Field(default="127.0.0.1")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("sms_template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        from api.notifications.template import check_template

        return check_template(value)

    @field_validator("display_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_timezone)

    def sqlalchemy_url(self, raw: str) -> str:
        """Turn a libpq-style URL into the async psycopg dialect SQLAlchemy needs."""
        url = str(PostgresDsn(raw))
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
