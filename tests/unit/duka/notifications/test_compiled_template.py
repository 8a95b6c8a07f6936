"""The compiled template writes what a plain one-pass substitution writes, for any template,
zone and message (the oracle below is the obvious implementation, kept only here)."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from duka.core.settings import Settings
from duka.notifications.template import OrderMessage, SmsTemplate, compiled, order_reference, render

TEMPLATES = [
    Settings().sms_template,
    "",
    "no placeholders at all",
    "{order_ref}{order_ref} {amount}{amount}",
    "{unknown} {item} {Item} { item } {{item}} {item",
    "{customer_name}: {quantity} x {item} = {currency} {amount} @ {ordered_at} ({order_ref})",
    "line one\nline two {ordered_at}\t{amount}",
]
ZONES = [
    "Africa/Nairobi",
    "UTC",
    "Europe/London",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Chatham",
]
NAMES = ["Jane", "{item}", "%s {amount}", 'O\'Brien, "Jim"', "\u202eevil", "漢字 😀", "{order_ref}"]


def oracle(template: str, message: OrderMessage, tz: ZoneInfo) -> str:
    values = {
        "customer_name": message.customer_name,
        "order_ref": message.order_ref,
        "quantity": str(message.quantity),
        "item": message.item,
        "currency": message.currency,
        "amount": f"{message.amount:,.2f}",
        "ordered_at": message.ordered_at.astimezone(tz).strftime("%d %b %H:%M"),
    }
    text = re.sub(r"\{([a-z_]+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
    return "".join(ch for ch in text if not _bidi_control(ch))


def _bidi_control(ch: str) -> bool:
    """Dropped from the SMS (duka/notifications/template.py)."""
    code = ord(ch)
    return 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069 or ch in "\u200e\u200f\u061c"


def _messages(seed: int, count: int) -> list[OrderMessage]:
    rnd = random.Random(seed)
    start = datetime(1900, 1, 1, tzinfo=UTC)
    span = int((datetime(2999, 12, 31, tzinfo=UTC) - start).total_seconds())
    out = []
    for _ in range(count):
        cents = rnd.choice([1, 5, 99, 100, 123_456, 999_999_999_999, rnd.randrange(1, 10**12)])
        out.append(
            OrderMessage(
                customer_name=rnd.choice(NAMES),
                order_ref=order_reference(uuid.UUID(int=rnd.getrandbits(128)).hex),
                quantity=rnd.randint(1, 1_000_000),
                item=rnd.choice(NAMES),
                currency=rnd.choice(["KES", "UGX", "USD"]),
                amount=(Decimal(cents) / 100).quantize(Decimal("0.01")),
                ordered_at=start + timedelta(seconds=rnd.randrange(span), microseconds=7),
            )
        )
    return out


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("zone", ZONES)
def test_the_same_text_as_a_plain_substitution(template: str, zone: str) -> None:
    tz = ZoneInfo(zone)
    compiled_template = SmsTemplate(template, tz)
    seed = TEMPLATES.index(template) * 100 + ZONES.index(zone)
    for m in _messages(seed, 300):
        expected = oracle(template, m, tz)
        assert render(template, m, tz) == expected
        assert (
            compiled_template.fill(
                m.customer_name, m.order_ref, m.quantity, m.item, m.currency, m.amount, m.ordered_at
            )
            == expected
        )


def test_times_across_a_clock_change() -> None:
    tz = ZoneInfo("Europe/London")
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    for minutes in range(0, 120, 7):
        at = start + timedelta(minutes=minutes)
        message = OrderMessage("x", "ORD-1", 1, "x", "KES", Decimal("1.00"), at)
        assert render("{ordered_at}", message, tz) == oracle("{ordered_at}", message, tz)


def test_one_compiled_template_per_template_and_zone() -> None:
    nairobi = ZoneInfo("Africa/Nairobi")
    assert compiled("{item}", nairobi) is compiled("{item}", nairobi)
    assert compiled("{item}", nairobi) is not compiled("{item}", ZoneInfo("UTC"))
