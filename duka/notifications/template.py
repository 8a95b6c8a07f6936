"""Order SMS text. Placeholders are filled from a fixed set of values and never re-parsed,
so customer data such as "{item}" or "%s" is copied as text, not interpreted.

Names and items are stored verbatim, but the SMS carries no bidirectional-text controls:
an override such as U+202E (RIGHT-TO-LEFT OVERRIDE) in a customer's name would reverse the
rest of the message on the phone, and could make the amount or the order reference read
differently from what was sent. `BIDI_CONTROLS` are dropped from the rendered text (the
visible characters stay, in their stored order).

The API and the runner check the template's length once when they start
(`check_template_length`): its worst case fills every bounded placeholder at its widest
(the largest amount with its thousands separators, a seven-digit quantity, a full date)
and the free-text ones (name, item) at `EVERYDAY_TEXT_CHARS` each, and a warning is logged
past `WARN_PAST_SEGMENTS` (each segment is billed). At their schema maximum (200
characters) names and items would put every template at four segments, and a warning that
always fires says nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from duka.notifications.sms.gsm import SegmentInfo, non_gsm7_chars, segment_info

log = logging.getLogger(__name__)

PLACEHOLDERS = frozenset(
    {"customer_name", "order_ref", "quantity", "item", "currency", "amount", "ordered_at"}
)
_TOKEN = re.compile(r"\{([a-z_]+)\}")
# Embeddings, overrides and their terminator (U+202A-U+202E), isolates (U+2066-U+2069),
# and the invisible direction marks (LRM, RLM, ALM).
BIDI_CONTROLS = frozenset(
    [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), *"\u200e\u200f\u061c"]
)
_NO_BIDI = str.maketrans(dict.fromkeys(BIDI_CONTROLS))
_REMEMBERED_AMOUNTS = 10_000
# (customer name, order reference, quantity, item, currency, amount, ordered at)
_Fields = tuple[str, str, int, str, str, Decimal, datetime]


class TemplateError(ValueError):
    pass


def check_template(template: str) -> str:
    unknown = set(_TOKEN.findall(template)) - PLACEHOLDERS
    if unknown:
        raise TemplateError(f"unknown placeholder(s): {', '.join(sorted(unknown))}")
    return template


@dataclass(frozen=True)
class OrderMessage:
    customer_name: str
    order_ref: str
    quantity: int
    item: str
    currency: str
    amount: Decimal
    ordered_at: datetime


class SmsTemplate:
    """A template split once into text and placeholders, then filled many times.

    Filling copies the pieces and puts each value in its slot: one pass, and substituted
    values are never scanned again. Only the values the template uses are formatted, and
    formatted amounts are remembered (an upload renders one template for up to
    max_upload_rows orders, often with repeated amounts).
    """

    def __init__(self, template: str, tz: ZoneInfo) -> None:
        # Literal text at even positions, names at odd ones; a name that is not a
        # placeholder stays as written.
        pieces = _TOKEN.split(template)
        self._parts = [
            piece if i % 2 == 0 or piece in PLACEHOLDERS else "{" + piece + "}"
            for i, piece in enumerate(pieces)
        ]
        getters: dict[str, Callable[[_Fields], str]] = {
            "customer_name": lambda f: f[0],
            "order_ref": lambda f: f[1],
            "quantity": lambda f: str(f[2]),
            "item": lambda f: f[3],
            "currency": lambda f: f[4],
            "amount": lambda f: self._amount(f[5]),
            "ordered_at": lambda f: f[6].astimezone(tz).strftime("%d %b %H:%M"),
        }
        self._slots = [
            (i, getters[piece])
            for i, piece in enumerate(pieces)
            if i % 2 == 1 and piece in PLACEHOLDERS
        ]
        self._amounts: dict[Decimal, str] = {}

    def fill(
        self,
        customer_name: str,
        order_ref: str,
        quantity: int,
        item: str,
        currency: str,
        amount: Decimal,
        ordered_at: datetime,
    ) -> str:
        fields = (customer_name, order_ref, quantity, item, currency, amount, ordered_at)
        parts = self._parts.copy()
        for i, value in self._slots:
            parts[i] = value(fields)
        return "".join(parts).translate(_NO_BIDI)

    def _amount(self, amount: Decimal) -> str:
        shown = self._amounts.get(amount)
        if shown is None:
            shown = f"{amount:,.2f}"
            if len(self._amounts) < _REMEMBERED_AMOUNTS:
                self._amounts[amount] = shown
        return shown


@lru_cache(maxsize=16)
def compiled(template: str, tz: ZoneInfo) -> SmsTemplate:
    """The process's one SmsTemplate per (template, zone): settings rarely change."""
    return SmsTemplate(template, tz)


def order_reference(order_id_hex: str) -> str:
    return "ORD-" + order_id_hex[:8].upper()


def render(template: str, message: OrderMessage, tz: ZoneInfo) -> str:
    """One order's SMS text."""
    return compiled(template, tz).fill(
        message.customer_name,
        message.order_ref,
        message.quantity,
        message.item,
        message.currency,
        message.amount,
        message.ordered_at,
    )


WARN_PAST_SEGMENTS = 2
EVERYDAY_TEXT_CHARS = 30
# The widest value of each bounded placeholder (the orders' schema limits).
_WIDEST_QUANTITY = 1_000_000
_WIDEST_AMOUNT = Decimal("9999999999.99")
_WIDEST_DATE = datetime(2999, 12, 31, 23, 59, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TemplateLength:
    worst: SegmentInfo
    non_gsm7: list[str]
    """Characters of the template's own text that make every SMS UCS-2."""

    @property
    def too_long(self) -> bool:
        return self.worst.segments > WARN_PAST_SEGMENTS


def worst_case(template: str, tz: ZoneInfo) -> TemplateLength:
    text = "x" * EVERYDAY_TEXT_CHARS
    filled = SmsTemplate(template, tz).fill(
        text, "ORD-XXXXXXXX", _WIDEST_QUANTITY, text, "XXX", _WIDEST_AMOUNT, _WIDEST_DATE
    )
    fixed = SmsTemplate(template, tz).fill("", "", 0, "", "", Decimal(0), _WIDEST_DATE)
    return TemplateLength(segment_info(filled), non_gsm7_chars(fixed))


def check_template_length(template: str, tz: ZoneInfo) -> TemplateLength:
    """Log the template's worst case: a warning past WARN_PAST_SEGMENTS, else at DEBUG."""
    length = worst_case(template, tz)
    worst = length.worst
    culprits = (
        f"; these characters make every SMS UCS-2: {' '.join(length.non_gsm7)}"
        if length.non_gsm7
        else ""
    )
    log.log(
        logging.WARNING if length.too_long else logging.DEBUG,
        "SMS template: worst case %d segments (%s, %d units; names and items of %d "
        "characters), warned past %d: each segment is billed%s",
        worst.segments,
        worst.encoding,
        worst.units,
        EVERYDAY_TEXT_CHARS,
        WARN_PAST_SEGMENTS,
        culprits,
    )
    return length
