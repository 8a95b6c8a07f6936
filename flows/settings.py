"""The SMS runner's knobs, read from DUKA_SMS_* environment variables.

The API's own settings (database, Africa's Talking account) stay in duka/core/settings.py;
these only matter to the runner process. Nothing reads the environment at import time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SmsFlowSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUKA_SMS_", extra="ignore", frozen=True)

    max_retries: int = Field(
        default=5, ge=0, le=20, description="Retries of a transient failure, after the first try."
    )
    retry_backoff_s: float = Field(
        default=2.0, gt=0, le=3600, description="First retry delay; each next one doubles."
    )
    retry_jitter_factor: float = Field(
        default=0.5, ge=0, le=5, description="Retry delays vary up to this fraction (0: none)."
    )
    batch_size: int = Field(default=100, ge=1, le=5000, description="Rows claimed at once.")
    max_in_flight: int = Field(
        default=500,
        ge=1,
        le=20_000,
        description="Claimed rows one dispatch run holds at most (sending or awaiting retry).",
    )
    concurrency: int = Field(
        default=32,
        ge=1,
        le=1000,
        description=(
            "Task runs of one dispatch run in progress at once (sending, or waiting for a "
            "retry); the gateway's own limit (DUKA_AT_MAX_CONCURRENCY) caps requests."
        ),
    )
    lease_s: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="A claim not renewed for this long belongs to a dead runner.",
    )
    sweep_interval_s: float = Field(
        default=30.0, gt=0, le=3600, description="How often the sweeper flow looks for work."
    )
    unknown_grace_s: float = Field(
        default=600.0,
        ge=0,
        le=7 * 86400,
        description="How long a send with an unknown outcome waits for evidence.",
    )
    unknown_lookup: Literal["none", "sandbox_inbox"] = Field(
        default="none",
        description=(
            "Where to check whether a send with an unknown outcome reached the provider: "
            "'sandbox_inbox' asks the local sandbox (DUKA_AT_BASE_URL); 'none' (real AT, "
            "which offers no such query) marks it failed for an operator after the grace."
        ),
    )
    session_idle_s: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="A dispatch flow run ends after this long without new work (0: at once).",
    )
    session_max_s: float = Field(
        default=300.0,
        gt=0,
        le=86400,
        description="A dispatch flow run stops taking new work after this long.",
    )
    prefect_backoff_max_s: float = Field(
        default=30.0, gt=0, le=600, description="Longest wait between tries to reach Prefect."
    )
    processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description=(
            "Runner processes `python -m flows` starts side by side (they share the outbox); "
            "one runner uses at most one core."
        ),
    )
    task_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="WARNING",
        description=(
            "Level of Prefect's per-task-run log lines (shipped to the Prefect UI); INFO "
            "costs about a third of the sending rate. Failures are logged at any level."
        ),
    )

    run_retention_days: float = Field(
        default=14.0,
        ge=1,
        le=3650,
        description=(
            "Duka's Prefect flow runs that never finished (a runner killed mid-run) are "
            "deleted, with their task runs, once due this many days ago; keep it equal to the "
            "Prefect server's PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD, which "
            "deletes the finished ones."
        ),
    )
    retention_interval_s: float = Field(
        default=3600.0,
        ge=0,
        le=7 * 86400,
        description="How often the runner deletes abandoned flow runs (0: never).",
    )

    metrics_port: int = Field(
        default=9465,
        ge=0,
        le=65535,
        description="Metrics port of `python -m flows run` when DUKA_METRICS_ENABLED "
        "(bound on DUKA_METRICS_HOST; 0: any free).",
    )
    report_interval_s: float = Field(
        default=3600.0,
        ge=60,
        le=7 * 86400,
        description="Period of the runner's SMS report, a markdown artifact in the Prefect "
        "UI (sent, failed by reason, suppressed, cost) made once per period for the period "
        "that ended.",
    )
    outbox_sample_s: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="How often the runner samples the outbox depth and oldest pending age "
        "for the metrics.",
    )

    @model_validator(mode="after")
    def _idle_within_max(self) -> SmsFlowSettings:
        if self.session_idle_s > self.session_max_s:
            raise ValueError("session_idle_s must not exceed session_max_s")
        return self

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    @property
    def heartbeat_s(self) -> float:
        # Three renewals per lease: one lost or late renewal does not expire a live claim.
        return self.lease_s / 3


@lru_cache
def get_sms_settings() -> SmsFlowSettings:
    return SmsFlowSettings()
