"""The default order SMS fits one GSM-7 segment for everyday orders; longer or non-GSM text
goes out as a multi-part or UCS-2 message, which costs more (docs/notifications.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from duka.core.settings import Settings
from duka.notifications.sms.gsm import SmsEncoding, segment_info
from duka.notifications.template import OrderMessage, render

DEFAULT = Settings()


def sms(name: str = "Jane Wanjiku", item: str = "Maize flour 2kg", **more: object) -> str:
    values: dict[str, object] = {
        "customer_name": name,
        "order_ref": "ORD-1A2B3C4D",
        "quantity": 12,
        "item": item,
        "currency": "KES",
        "amount": Decimal("125000.00"),
        "ordered_at": datetime(2026, 11, 26, 11, 5, tzinfo=UTC),
    } | more
    return render(DEFAULT.sms_template, OrderMessage(**values), DEFAULT.zone)  # type: ignore[arg-type]


def test_an_everyday_order_is_one_gsm7_segment() -> None:
    info = segment_info(sms())
    assert (info.encoding, info.segments) == (SmsEncoding.GSM7, 1)


def test_names_and_items_of_up_to_30_characters_each_still_fit() -> None:
    info = segment_info(sms(name="N" * 30, item="I" * 30))
    assert info.encoding is SmsEncoding.GSM7
    assert info.units <= 160


def test_the_fixed_text_leaves_room_for_the_values() -> None:
    empty = sms(name="", item="", quantity=1, amount=Decimal("1.00"), currency="KES")
    assert segment_info(empty).units <= 160 - 60


def test_a_long_item_makes_a_multi_part_message() -> None:
    info = segment_info(sms(item="Assorted household goods " * 4))
    assert (info.encoding, info.segments) == (SmsEncoding.GSM7, 2)


def test_a_name_outside_gsm7_switches_the_whole_text_to_ucs2() -> None:
    info = segment_info(sms(name="Wanjikũ"))
    assert info.encoding is SmsEncoding.UCS2
    assert info.segments == 2, "UCS-2 holds 70 characters per segment"
