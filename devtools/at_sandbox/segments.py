"""How many SMS parts the sandbox charges for a text: its own reading of 3GPP TS 23.038
(the GSM 7-bit default alphabet) and TS 23.040 (concatenated SMS).

Deliberately not Duka's `duka.notifications.sms.gsm`: a fake that reused the service's
counter would price every text exactly as the service expects, so a counting bug there
would be mirrored here instead of caught by the tests that compare the two.

The rules: a text goes as GSM-7 when every character is in the default alphabet or its
extension table (an extension character costs an escape septet plus its own); otherwise the
whole text goes as UCS-2, counted in UTF-16 code units. A single message holds 160 septets
or 70 code units. A longer one is split into parts whose user-data header leaves 153
septets or 67 code units, and a part never ends between an escape and its character or
between the two halves of a surrogate pair.
"""

from __future__ import annotations

from typing import Final

# The default alphabet in code order 0x00..0x7F, as printed in TS 23.038 section 6.2.1.
# Position 0x1B is the escape to the extension table, not a character: a NUL stands in.
_DEFAULT_ALPHABET: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x00ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table's characters (TS 23.038 section 6.2.1.1), each sent as ESC + one septet.
_EXTENSION_TABLE: Final = frozenset("\f^{}\\[~]|€")
_SEPTETS: Final = {ch: 1 for ch in _DEFAULT_ALPHABET if ch != "\x00"} | dict.fromkeys(
    _EXTENSION_TABLE, 2
)

SINGLE_SEPTETS: Final = 160
PART_SEPTETS: Final = 153
SINGLE_UNITS: Final = 70
PART_UNITS: Final = 67


def _split(widths: list[int], single: int, part: int) -> int:
    """Parts for characters of these widths: one if all fit, else greedy parts of `part`."""
    if sum(widths) <= single:
        return 1
    parts, room = 1, part
    for width in widths:
        if width > room:
            parts, room = parts + 1, part
        room -= width
    return parts


def count_segments(text: str) -> int:
    """The number of SMS parts Africa's Talking would bill for `text`."""
    if all(ch in _SEPTETS for ch in text):
        return _split([_SEPTETS[ch] for ch in text], SINGLE_SEPTETS, PART_SEPTETS)
    units = [len(ch.encode("utf-16-le")) // 2 for ch in text]
    return _split(units, SINGLE_UNITS, PART_UNITS)
