"""What an accepted SMS cost: AT's "KES 0.8000" read as an amount and a currency, and the
text's encoding and segments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from duka.notifications.billing import Billing, Cost, billing_of, parse_cost
from duka.notifications.sms.gsm import SmsEncoding


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("KES 0.8000", Cost("KES", Decimal("0.8000"))),
        ("usd 1.5", Cost("USD", Decimal("1.5000"))),
        ("KES 0", Cost("KES", Decimal("0.0000"))),
        (None, None),
        ("", None),
        ("0", None),
        ("0.8000", None),
        ("KES NaN", None),
        ("KES Infinity", None),
        ("KES -1", None),
        ("KES 123456789", None),
        ("KENYA 1", None),
        ("KÉS 1", None),
    ],
)
def test_cost_is_read_only_in_ats_form(raw: str | None, parsed: Cost | None) -> None:
    assert parse_cost(raw) == parsed


def test_billing_counts_segments_in_the_texts_encoding() -> None:
    assert billing_of("x" * 161, "KES 1.6000") == Billing(
        SmsEncoding.GSM7, 2, Cost("KES", Decimal("1.6000"))
    )
    assert billing_of("Wanjikũ", None) == Billing(SmsEncoding.UCS2, 1, None)
