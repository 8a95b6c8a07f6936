"""Customer rows of an upload: CustomerCreate's field types, E.164 phones, codes unique."""

from __future__ import annotations

from duka.core.errors import FieldError
from duka.core.settings import Settings
from duka.customers.phone import InvalidPhoneError, normalize_phone, phone_field_error
from duka.customers.schemas import CustomerCreate
from duka.uploads.columns import Columns, RawValues
from duka.uploads.fields import CACHE_SIZE, REQUIRED, FieldCheck, Invalid, check_values

# Read by position in this order: CustomerCreate's fields, checked at import by Columns.of.
FIELDS = ("code", "name", "phone")
COLUMNS = Columns.of(CustomerCreate, FIELDS)

# (row, code as given or None for a generated one, name, phone in E.164)
CustomerRow = tuple[int, str | None, str, str]


class CustomerRows:
    """Validates rows one at a time; keeps the good ones and every code's first row."""

    columns = COLUMNS

    def __init__(self, settings: Settings) -> None:
        self._code = FieldCheck(CustomerCreate, "code")
        self._plan = [(FieldCheck(CustomerCreate, name), REQUIRED) for name in ("name", "phone")]
        self._region = settings.default_phone_region
        self._phones: dict[str, str | InvalidPhoneError] = {}
        self.rows: list[CustomerRow] = []
        # Lower-cased code -> the first row that uses it (bad rows included), for the
        # duplicate check here and the clash check against stored customers.
        self.first_row_of_code: dict[str, int] = {}

    def add(self, values: RawValues | None, row: int, problems: list[FieldError]) -> None:
        """Check one row; append its faults to `problems` (which may hold some already)."""
        if values is None:
            return
        code = self._unique_code(values[0], row, problems)
        name, phone = check_values(self._plan, values[1:], row, problems)
        if isinstance(phone, str):
            phone = self._e164(phone, row, problems)
        if problems:
            return
        self.rows.append((row, code, name, phone))

    def _unique_code(self, raw: object, row: int, problems: list[FieldError]) -> str | None:
        if raw is None:
            return None
        code = self._code(raw)
        if isinstance(code, Invalid):
            problems.append(code.at("code", row))
            return None
        assert isinstance(code, str)
        first = self.first_row_of_code.setdefault(code.lower(), row)
        if first != row:
            message = f"duplicates the code of row {first} (codes ignore case)"
            problems.append(FieldError("code", message, row=row, code="duplicate_code"))
        return code

    def _e164(self, phone: str, row: int, problems: list[FieldError]) -> str | None:
        known = self._phones.get(phone)
        if known is None:
            try:
                known = normalize_phone(phone, self._region)
            except InvalidPhoneError as exc:
                known = exc
            if len(self._phones) < CACHE_SIZE:
                self._phones[phone] = known
        if isinstance(known, InvalidPhoneError):
            problems.append(phone_field_error(known, row))
            return None
        return known
