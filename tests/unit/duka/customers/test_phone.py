from __future__ import annotations

import pytest

from duka.customers.phone import InvalidPhoneError, normalize_phone, phone_field_error


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("0712345678", "KE", "+254712345678"),
        ("0712 345 678", "KE", "+254712345678"),
        ("(0712) 345-678", "KE", "+254712345678"),
        ("+254712345678", "KE", "+254712345678"),
        ("254712345678", "KE", "+254712345678"),
        ("+254 110 123456", "KE", "+254110123456"),
        ("+1 650-253-0000", "KE", "+16502530000"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("0712345678", "TZ", "+255712345678"),
        ("٠٧١٢٣٤٥٦٧٨", "KE", "+254712345678"),  # Arabic-Indic digits
    ],
)
def test_numbers_are_normalised_to_e164(raw: str, region: str, e164: str) -> None:
    assert normalize_phone(raw, region) == e164


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12345", "not a valid phone number (local numbers are read as region KE)"),
        ("+254 12", "not a valid phone number"),
        ("+999 712345678", "is not a phone number"),
        ("call me", "is not a phone number"),
        ("+", "is not a phone number"),
    ],
)
def test_invalid_numbers_explain_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhoneError) as caught:
        normalize_phone(raw, "KE")
    assert reason in caught.value.reason
    assert str(caught.value) == caught.value.reason


def test_field_error_names_the_phone_field_and_row() -> None:
    error = phone_field_error(InvalidPhoneError("is not a phone number"), row=4)
    assert (error.field, error.code, error.row) == ("phone", "invalid_phone", 4)
    assert error.message == "is not a phone number"
    assert phone_field_error(InvalidPhoneError("x")).row is None
