"""Phone numbers: parsed and validated with libphonenumber's rules, stored as E.164."""

from __future__ import annotations

import phonenumbers

from duka.core.errors import FieldError


class InvalidPhoneError(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_phone(raw: str, default_region: str) -> str:
    """Return E.164 for `raw`; a number without a leading + is read in `default_region`."""
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneError("is not a phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneError(
            f"is not a valid phone number (local numbers are read as region {default_region})"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_field_error(exc: InvalidPhoneError, row: int | None = None) -> FieldError:
    return FieldError(field="phone", message=exc.reason, code="invalid_phone", row=row)
