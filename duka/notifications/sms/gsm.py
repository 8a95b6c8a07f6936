"""How many SMS segments a text costs, per GSM 03.38.

A text is sent as GSM-7 when every character is in the GSM-7 default alphabet (or its
extension table, where a character costs two septets); otherwise the whole text goes as UCS-2.
One segment holds 160 septets (GSM-7) or 70 UTF-16 code units (UCS-2). A longer text is split
into concatenated parts of 153 septets or 67 code units (the rest carries the concatenation
header), and an escape pair or a surrogate pair is never split across two parts.

Templates should stay GSM-7 and in one segment: a single curly quote or emoji switches the
whole text to UCS-2 and more than doubles its cost. `non_gsm7_chars` names the culprits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# GSM 03.38 default alphabet (the escape character itself is not text, so it is left out).
_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each of these is sent as ESC + character, two septets.
_EXTENDED = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67


class SmsEncoding(enum.StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    encoding: SmsEncoding
    units: int
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the text needs."""
    segments: int

    @property
    def fits_one_segment(self) -> bool:
        return self.segments == 1


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXTENDED for ch in text)


def non_gsm7_chars(text: str) -> list[str]:
    """The distinct characters that force UCS-2, in order of first appearance."""
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in _BASIC and ch not in _EXTENDED:
            seen.setdefault(ch, None)
    return list(seen)


def _gsm7_costs(text: str) -> list[int]:
    return [2 if ch in _EXTENDED else 1 for ch in text]


def _ucs2_costs(text: str) -> list[int]:
    # Characters outside the Basic Multilingual Plane take a surrogate pair.
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(costs: list[int], part_size: int) -> int:
    """Parts needed when no character may straddle two parts."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > part_size:
            parts += 1
            used = 0
        used += cost
    return parts


def segment_info(text: str) -> SegmentInfo:
    if is_gsm7(text):
        encoding, costs, single, part = SmsEncoding.GSM7, _gsm7_costs(text), GSM7_SINGLE, GSM7_PART
    else:
        encoding, costs, single, part = SmsEncoding.UCS2, _ucs2_costs(text), UCS2_SINGLE, UCS2_PART
    units = sum(costs)
    segments = 1 if units <= single else _pack(costs, part)
    return SegmentInfo(encoding=encoding, units=units, segments=segments)


def fits_one_segment(text: str) -> bool:
    """True when the text goes out as one SMS (160 GSM-7 septets or 70 UCS-2 units)."""
    return segment_info(text).fits_one_segment
