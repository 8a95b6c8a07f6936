"""The SMS report's reasons and markdown (the counting itself runs against PostgreSQL in
tests/integration/flows/test_report.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from duka.notifications.summary import SmsSummary, failure_reason

SINCE = datetime(2026, 12, 5, 5, 0, tzinfo=UTC)
UNTIL = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_error", "reason"),
    [
        (None, "unknown"),
        ("", "unknown"),
        ("InvalidPhoneNumber: not an E.164 number; nothing was sent", "InvalidPhoneNumber"),
        ("needs an operator: InsufficientBalance: top up", "InsufficientBalance"),
        ("http 503: Service Unavailable (gave up after 6 attempts)", "http 503"),
        ("not delivered: Failed (UserInBlackList)", "not delivered: Failed"),
        ("not delivered: Expired", "not delivered: Expired"),
        ("outcome unknown (timeout: read); awaiting evidence", "outcome unknown"),
        ("outcome unknown: no delivery report within 600 s", "outcome unknown"),
        ("RiskHold", "RiskHold"),
    ],
)
def test_failures_group_by_their_stable_reason(last_error: str | None, reason: str) -> None:
    assert failure_reason(last_error) == reason


def test_the_markdown_shows_every_count() -> None:
    summary = SmsSummary(
        SINCE, UNTIL, sent=12, failed={"RiskHold": 1, "not delivered: Failed": 3}, suppressed=2
    )
    text = summary.markdown()
    assert "# SMS from 2026-12-05 05:00 to 2026-12-05 06:00 UTC" in text
    assert "| 12 | 4 | 2 |" in text
    # Most frequent reason first.
    assert text.index("| not delivered: Failed | 3 |") < text.index("| RiskHold | 1 |")
    assert "n/a" in text
    assert summary.as_dict() == {"sent": 12, "failed": 4, "suppressed": 2}


def test_no_failures_and_recorded_costs() -> None:
    text = SmsSummary(SINCE, UNTIL, sent=0, cost={"KES": Decimal("1.60")}).markdown()
    assert "| 0 | 0 | 0 |" in text
    assert "## Failed by reason\n\nnone" in text
    assert "| KES | 1.60 |" in text
    assert "none" in SmsSummary(SINCE, UNTIL, sent=0, cost={}).markdown().split("Cost")[1]


def test_a_reason_cannot_break_the_table() -> None:
    text = SmsSummary(SINCE, UNTIL, sent=0, failed={"a|b\nc": 1}).markdown()
    assert "| a\\|b c | 1 |" in text
