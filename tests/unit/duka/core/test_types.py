from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from duka.core.types import Currency, CustomerCode, Name, PhoneInput, SearchText

names = TypeAdapter(Name)
codes = TypeAdapter(CustomerCode)
currencies = TypeAdapter(Currency)
phones = TypeAdapter(PhoneInput)
searches = TypeAdapter(SearchText)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Jane  ", "Jane"),
        ("Ñandú Ölçer", "Ñandú Ölçer"),
        ("evil\u202etxt", "evil\u202etxt"),  # Cf: direction overrides are text
        ("a\u200db", "a\u200db"),
        ("👩🏾‍🌾", "👩🏾‍🌾"),
        ("x" * 200, "x" * 200),
    ],
)
def test_names_are_trimmed_and_otherwise_verbatim(raw: str, stored: str) -> None:
    assert names.validate_python(raw) == stored


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "at least 1"),
        ("   ", "at least 1"),
        ("x" * 201, "at most 200"),
        ("a\x00b", "U+0000"),
        ("a\nb", "U+000A"),
        ("a\rb", "U+000D"),
        ("\x1b[2J", "U+001B"),
        ("a\x7f", "U+007F"),
        ("a\x85b", "U+0085"),
        ("a\ud800b", "surrogates (found U+D800)"),
        ("a\udfffb", "surrogates (found U+DFFF)"),
    ],
)
def test_bad_names_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        names.validate_python(raw)
    assert reason in str(caught.value)


def test_inner_whitespace_and_tabs_at_the_ends() -> None:
    assert names.validate_python("\tJane  Doe\n") == "Jane  Doe"


@pytest.mark.parametrize("code", ["C", "CUST-000001", "a.b_c-d", "9" * 32])
def test_valid_codes(code: str) -> None:
    assert codes.validate_python(f" {code} ") == code


@pytest.mark.parametrize("code", ["", "-x", ".x", "a b", "x" * 33, "ü", "a/b", "<a>", "a\u202e"])
def test_invalid_codes(code: str) -> None:
    with pytest.raises(ValidationError):
        codes.validate_python(code)


@pytest.mark.parametrize(("raw", "code"), [("kes", "KES"), (" usd ", "USD"), ("TzS", "TZS")])
def test_currencies_are_upper_cased_iso_codes(raw: str, code: str) -> None:
    assert currencies.validate_python(raw) == code


@pytest.mark.parametrize("raw", ["KSH", "ABC", "KESH", "KE", "K3S", "", "€"])
def test_unknown_currencies_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        currencies.validate_python(raw)
    assert "ISO 4217" in str(caught.value)


def test_phone_input_is_trimmed_and_checked_for_control_characters() -> None:
    assert phones.validate_python(" +254 712 345 678 ") == "+254 712 345 678"
    with pytest.raises(ValidationError):
        phones.validate_python("0712\x00345678")
    with pytest.raises(ValidationError):
        phones.validate_python("07")


def test_search_text_keeps_spaces_but_not_control_characters() -> None:
    assert searches.validate_python(" jan ") == " jan "
    with pytest.raises(ValidationError):
        searches.validate_python("ja\x00n")
