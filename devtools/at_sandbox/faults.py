"""Fault injection: what goes wrong, how often, and the seeded dice that decide it.

Every random decision comes from one `random.Random(seed)`, so a sequence of requests sent
one after another meets the same faults on every run (concurrent requests draw in arrival
order, which the sandbox cannot make reproducible).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from devtools.at_sandbox.statuses import (
    FAILURE_REASONS,
    RECIPIENT_STATUS,
    REPORT_FINAL,
    REPORT_INTERMEDIATE,
    REPORT_WITH_REASON,
)

_ANY_REPORT = REPORT_INTERMEDIATE | REPORT_FINAL

RequestFault = Literal["error", "timeout", "disconnect", "bad_gateway", "gateway_timeout"]


class ReportOverride(BaseModel):
    """The delivery reports for one number: the final one, and any others around it.

    AT sends a report per status change, in no guaranteed order: `before` are sent ahead of
    the final report (usually intermediate ones: Sent, Submitted, Buffered), `after` behind
    it (a late intermediate report, or a second final one), each its own POST.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    status: str = "Success"
    failure_reason: str | None = Field(default=None, alias="failureReason")
    before: tuple[str, ...] = Field(default=(), max_length=10)
    after: tuple[str, ...] = Field(default=(), max_length=10)

    @model_validator(mode="after")
    def _consistent(self) -> ReportOverride:
        if self.status not in REPORT_FINAL:
            raise ValueError(f"status must be one of {sorted(REPORT_FINAL)}")
        unknown = sorted(set(self.before + self.after) - _ANY_REPORT)
        if unknown:
            raise ValueError(f"before/after statuses must be among {sorted(_ANY_REPORT)}")
        if self.failure_reason is not None:
            if self.status not in REPORT_WITH_REASON:
                raise ValueError("failureReason is only sent with Rejected or Failed")
            if self.failure_reason not in FAILURE_REASONS:
                raise ValueError(f"failureReason must be one of {sorted(FAILURE_REASONS)}")
        return self


class FaultConfig(BaseModel):
    """Everything the sandbox can be told to do wrong. All off by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    latency_s: float = Field(default=0.0, ge=0, le=60, description="Added to every send.")
    error_rate: float = Field(default=0.0, ge=0, le=1, description="Share answered HTTP 500.")
    timeout_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share held for timeout_hold_s."
    )
    disconnect_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share whose connection drops mid-answer."
    )
    bad_gateway_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share answered 502 with a reverse proxy's HTML page (an upstream failure).",
    )
    gateway_timeout_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share answered 504 with a reverse proxy's HTML page (an upstream timeout).",
    )
    timeout_hold_s: float = Field(
        default=15.0,
        ge=0,
        le=300,
        description="How long a timed-out request is held; longer than the client waits.",
    )
    timeout_then: Literal["answer", "close"] = Field(
        default="close",
        description=(
            "After the hold: 'answer' anyway (the real answer if the message was recorded, "
            "else 504), or 'close' the connection without one (sooner if the client left)."
        ),
    )
    fault_after_record: bool = Field(
        default=False,
        description=(
            "Faults strike after the message was recorded and will be delivered: the client "
            "sees an error or a timeout for a message that went out."
        ),
    )
    status_by_number: dict[str, int] = Field(
        default_factory=dict, description='Fixed recipient status, e.g. {"+254700000403": 403}.'
    )
    status_rates: dict[int, float] = Field(
        default_factory=dict, description="Recipient status drawn at these rates."
    )
    report_delay_s: float = Field(default=0.2, ge=0, le=3600)
    report_by_number: dict[str, ReportOverride] = Field(default_factory=dict)
    duplicate_report_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of reports sent twice (at-least-once)."
    )

    @field_validator("status_by_number")
    @classmethod
    def _known_codes(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value.values()) - set(RECIPIENT_STATUS))
        if unknown:
            raise ValueError(f"unknown status code(s): {unknown}")
        return value

    @field_validator("status_rates")
    @classmethod
    def _known_rates(cls, value: dict[int, float]) -> dict[int, float]:
        unknown = sorted(set(value) - set(RECIPIENT_STATUS))
        if unknown:
            raise ValueError(f"unknown status code(s): {unknown}")
        if any(not 0 <= rate <= 1 for rate in value.values()) or sum(value.values()) > 1:
            raise ValueError("rates must be within 0..1 and add up to at most 1")
        return value

    def request_fault_rates(self) -> list[tuple[RequestFault, float]]:
        return [
            ("error", self.error_rate),
            ("timeout", self.timeout_rate),
            ("disconnect", self.disconnect_rate),
            ("bad_gateway", self.bad_gateway_rate),
            ("gateway_timeout", self.gateway_timeout_rate),
        ]

    @model_validator(mode="after")
    def _rates_fit(self) -> FaultConfig:
        if sum(rate for _, rate in self.request_fault_rates()) > 1:
            raise ValueError(
                "error_rate + timeout_rate + disconnect_rate + bad_gateway_rate + "
                "gateway_timeout_rate must be at most 1"
            )
        return self


@dataclass(frozen=True, slots=True)
class ReportPlan:
    status: str
    failure_reason: str | None
    duplicate: bool
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    def sequence(self) -> list[tuple[str, str | None]]:
        """Every report to send, in order: (status, failureReason)."""
        statuses = [*self.before, self.status, *self.after]
        return [(s, self.reason_for(s)) for s in statuses]

    def reason_for(self, status: str) -> str | None:
        if status not in REPORT_WITH_REASON:
            return None
        return self.failure_reason or "DeliveryFailure"


class FaultInjector:
    """Rolls the dice for one FaultConfig. Thread-safe; replace it to change the config."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - reproducible test faults
        self._lock = threading.Lock()

    def _draw(self) -> float:
        with self._lock:
            return self._rng.random()

    def request_fault(self) -> RequestFault | None:
        rates = self.config.request_fault_rates()
        if not any(rate for _, rate in rates):
            return None
        roll, floor = self._draw(), 0.0
        for fault, rate in rates:
            floor += rate
            if roll < floor:
                return fault
        return None

    def recipient_status(self, number: str) -> int | None:
        """A forced status for this recipient, or None to accept it normally."""
        fixed = self.config.status_by_number.get(number)
        if fixed is not None:
            return fixed
        if not self.config.status_rates:
            return None
        roll, floor = self._draw(), 0.0
        for code, rate in sorted(self.config.status_rates.items()):
            floor += rate
            if roll < floor:
                return code
        return None

    def report_for(self, number: str) -> ReportPlan:
        override = self.config.report_by_number.get(number)
        status = override.status if override else "Success"
        reason = override.failure_reason if override else None
        if status in REPORT_WITH_REASON and reason is None:
            reason = "DeliveryFailure"
        duplicate = self.config.duplicate_report_rate > 0 and (
            self._draw() < self.config.duplicate_report_rate
        )
        return ReportPlan(
            status=status,
            failure_reason=reason,
            duplicate=duplicate,
            before=override.before if override else (),
            after=override.after if override else (),
        )
