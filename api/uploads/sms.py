"""Order SMS text for many orders at once: exactly what `render()` writes, faster.

`api.notifications.template.render` splits the template with a regular expression and
formats every value on each call; an upload renders one template up to max_upload_rows
times, where that is most of Python's work. `SmsTexts` splits the template once, formats
only the values the template uses, and remembers the formatting of repeated amounts.
tests/unit/api/uploads/test_sms.py compares it with `render()` on many messages and
templates, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from api.notifications.template import PLACEHOLDERS, order_reference

# The placeholder syntax of api/notifications/template.py.
_TOKEN = re.compile(r"\{([a-z_]+)\}")
_REMEMBERED_AMOUNTS = 10_000

Fields = tuple[str, str, int, str, str, Decimal, datetime]
# (customer name, order id hex, quantity, item, currency, amount, ordered at)


class SmsTexts:
    def __init__(self, template: str, tz: ZoneInfo) -> None:
        self.tz = tz
        # Literal text at even positions, placeholder names at odd ones; a name that is not
        # a placeholder stays as written, as render() leaves it.
        pieces = _TOKEN.split(template)
        self._parts = [
            piece if i % 2 == 0 or piece in PLACEHOLDERS else "{" + piece + "}"
            for i, piece in enumerate(pieces)
        ]
        getters: dict[str, Callable[[Fields], str]] = {
            "customer_name": lambda f: f[0],
            "order_ref": lambda f: order_reference(f[1]),
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

    def __call__(
        self,
        customer_name: str,
        order_id_hex: str,
        quantity: int,
        item: str,
        currency: str,
        amount: Decimal,
        ordered_at: datetime,
    ) -> str:
        fields = (customer_name, order_id_hex, quantity, item, currency, amount, ordered_at)
        parts = self._parts.copy()
        # One pass over the template: substituted values are never scanned again.
        for i, value in self._slots:
            parts[i] = value(fields)
        return "".join(parts)

    def _amount(self, amount: Decimal) -> str:
        shown = self._amounts.get(amount)
        if shown is None:
            shown = f"{amount:,.2f}"
            if len(self._amounts) < _REMEMBERED_AMOUNTS:
                self._amounts[amount] = shown
        return shown
