from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from duka.notifications.template import (
    BIDI_CONTROLS,
    PLACEHOLDERS,
    OrderMessage,
    TemplateError,
    check_template,
    order_reference,
    render,
)

NAIROBI = ZoneInfo("Africa/Nairobi")
ALL = " ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))


def message(**changes: object) -> OrderMessage:
    fields: dict[str, object] = {
        "customer_name": "Jane",
        "order_ref": "ORD-1A2B3C4D",
        "quantity": 2,
        "item": "Maize flour",
        "currency": "KES",
        "amount": Decimal("1250.00"),
        "ordered_at": datetime(2026, 11, 26, 11, 5, tzinfo=UTC),
    }
    fields.update(changes)
    return OrderMessage(**fields)  # type: ignore[arg-type]


def test_every_placeholder_is_filled() -> None:
    text = render(ALL, message(), NAIROBI)
    # Sorted: amount currency customer_name item order_ref ordered_at quantity
    assert text == "1,250.00 KES Jane Maize flour ORD-1A2B3C4D 26 Nov 14:05 2"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1250"), "1,250.00"),
        (Decimal("0.5"), "0.50"),
        (Decimal("9999999999.99"), "9,999,999,999.99"),
        (Decimal("1000000"), "1,000,000.00"),
    ],
)
def test_amounts_have_separators_and_two_decimals(amount: Decimal, shown: str) -> None:
    assert render("{amount}", message(amount=amount), NAIROBI) == shown


def test_times_are_shown_in_the_display_zone() -> None:
    late = message(ordered_at=datetime(2026, 12, 31, 22, 30, tzinfo=UTC))
    assert render("{ordered_at}", late, NAIROBI) == "01 Jan 01:30"
    assert render("{ordered_at}", late, ZoneInfo("UTC")) == "31 Dec 22:30"


@pytest.mark.parametrize(
    "hostile",
    [
        "{order_ref}",
        "{item}{amount}",
        "{{customer_name}}",
        "%s %(item)s",
        "{0}",
        "${item}",
        "\\{item\\}",
    ],
)
def test_values_are_never_expanded_again(hostile: str) -> None:
    text = render("{customer_name}|{item}", message(customer_name=hostile, item=hostile), NAIROBI)
    assert text == f"{hostile}|{hostile}"


def test_unknown_tokens_in_an_unchecked_template_stay_literal() -> None:
    assert render("{nope} {item} {Item}", message(), NAIROBI) == "{nope} Maize flour {Item}"


def test_check_template_lists_every_unknown_placeholder() -> None:
    assert check_template(ALL) == ALL
    assert check_template("no placeholders, {Capital} and { spaced }") is not None
    with pytest.raises(TemplateError) as caught:
        check_template("{zeta} {order_ref} {alpha}")
    assert str(caught.value) == "unknown placeholder(s): alpha, zeta"


def test_order_reference_is_the_upper_cased_id_prefix() -> None:
    assert order_reference("1a2b3c4d5e6f") == "ORD-1A2B3C4D"


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_bidi_controls_never_reach_the_sms(control: str) -> None:
    name = f"Jane{control}Doe"
    text = render(
        "Hi {customer_name}: {item}", message(customer_name=name, item=control + "Tea"), NAIROBI
    )
    assert text == "Hi JaneDoe: Tea"


def test_every_bidi_control_is_covered() -> None:
    overrides = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
    assert overrides | {"\u200e", "\u200f", "\u061c"} == BIDI_CONTROLS


def test_other_invisible_characters_and_formula_like_text_are_kept() -> None:
    # Zero-width joiners build emoji and some scripts' letters; "=", "+", "-", "@" are text.
    name = "=HYPERLINK(1) +2 -3 @x 👩🏾\u200d🌾"
    assert render("{customer_name}", message(customer_name=name), NAIROBI) == name
