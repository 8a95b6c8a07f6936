"""Reusable validated field types for request schemas."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BeforeValidator, StringConstraints


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _no_control_characters(value: str) -> str:
    # Cc covers NUL, newlines, escapes and DEL; format characters (Cf, such as direction
    # overrides) are legitimate in names and are stored verbatim. A lone surrogate (Cs, from
    # a JSON "\ud800" escape) is not text at all: it cannot be encoded for the database.
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cc":
            raise ValueError(f"must not contain control characters (found U+{ord(ch):04X})")
        if category == "Cs":
            raise ValueError(f"must not contain unpaired surrogates (found U+{ord(ch):04X})")
    return value


Name = Annotated[
    str,
    BeforeValidator(_strip),
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
]
ItemName = Name
# Free text in query strings (searches): any length rule comes from the Query() next to it.
SearchText = Annotated[str, AfterValidator(_no_control_characters)]

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
CustomerCode = Annotated[
    str,
    BeforeValidator(_strip),
    StringConstraints(min_length=1, max_length=32, pattern=CODE_PATTERN),
]

PhoneInput = Annotated[
    str,
    BeforeValidator(_strip),
    StringConstraints(min_length=3, max_length=32),
    AfterValidator(_no_control_characters),
]


@lru_cache(maxsize=1)
def _currency_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _iso_currency(value: str) -> str:
    code = value.upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or code not in _currency_codes():
        raise ValueError("must be an ISO 4217 currency code such as KES")
    return code


Currency = Annotated[str, BeforeValidator(_strip), AfterValidator(_iso_currency)]
