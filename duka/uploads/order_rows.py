"""Order rows of an upload: each checked by OrderCreate's own field types, kept compactly."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Container, Iterator
from datetime import datetime
from decimal import Decimal

from duka.core.errors import FieldError
from duka.core.settings import Settings
from duka.orders.schemas import OrderCreate
from duka.uploads.columns import Columns, RawValues
from duka.uploads.exceptions import RowErrors
from duka.uploads.fields import REQUIRED, FieldCheck, Invalid, check_values

# Read by position in this order: OrderCreate's fields, checked at import by Columns.of.
FIELDS = ("customer_id", "customer_code", "item", "quantity", "amount", "currency", "ordered_at")
COLUMNS = Columns.of(OrderCreate, FIELDS, frozenset({"customer_id", "customer_code"}))

CustomerRef = str | uuid.UUID  # a lower-cased customer code, or a customer id
# (row, customer, item, quantity, amount, currency, ordered_at): tuples, because an upload
# holds up to max_upload_rows of them at once.
OrderRow = tuple[int, CustomerRef, str, int, Decimal, str, datetime]


class OrderRows:
    """Order rows, checked in two steps.

    While the body is read, `add` checks each row's customer reference (so that all the
    customers can be looked up in one query before anything is stored). `checked` checks
    the other fields later, while PostgreSQL is busy storing the rows before them: the
    slowest part of reading then costs no time of its own.
    """

    columns = COLUMNS

    def __init__(self, settings: Settings, now: datetime) -> None:
        checks = {name: FieldCheck(OrderCreate, name) for name in FIELDS}
        self._code = checks["customer_code"]
        self._id = checks["customer_id"]
        defaults = {
            "item": REQUIRED,
            "amount": REQUIRED,
            "quantity": OrderCreate.model_fields["quantity"].default,
            "currency": settings.default_currency,
            "ordered_at": now,
        }
        self._plan = [(checks[name], defaults[name]) for name in FIELDS[2:]]
        # (row, customer or None if its reference is bad, raw values, already at fault)
        self._pending: deque[tuple[int, CustomerRef | None, RawValues, bool]] = deque()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, values: RawValues | None, row: int, problems: list[FieldError]) -> None:
        """Check one row's customer reference; append faults to `problems` (which may hold
        some already). A row's other fields are checked by `checked`."""
        if values is None:
            return
        ref = self._customer(values[0], values[1], row, problems)
        self._pending.append((row, ref, values, bool(problems)))

    def customers(self) -> list[tuple[int, CustomerRef]]:
        """Each row's customer (rows with a bad reference left out)."""
        return [(row, ref) for row, ref, _, _ in self._pending if ref is not None]

    def checked(self, errors: RowErrors, known: Container[CustomerRef]) -> Iterator[OrderRow]:
        """Check every row's other fields: yield the good rows, add the faults to `errors`.

        Rows whose customer is not `known` were reported already and are not yielded. Each
        row's raw values are let go of as soon as it is checked.
        """
        pending, plan = self._pending, self._plan
        while pending:
            row, ref, values, bad = pending.popleft()
            problems: list[FieldError] = []
            item, quantity, amount, currency, ordered_at = check_values(
                plan, values[2:], row, problems
            )
            if problems:
                errors.add(problems)
            elif not bad and ref is not None and ref in known:
                yield row, ref, item, quantity, amount, currency, ordered_at

    def _customer(
        self, customer_id: object, customer_code: object, row: int, problems: list[FieldError]
    ) -> CustomerRef | None:
        if (customer_id is None) == (customer_code is None):
            message = "give exactly one of customer_id or customer_code"
            problems.append(FieldError("customer_id", message, row=row, code="customer_reference"))
            return None
        if customer_code is not None:
            code = self._code(customer_code)
            if isinstance(code, Invalid):
                problems.append(code.at("customer_code", row))
                return None
            return str(code).lower()
        found = self._id(customer_id)
        if isinstance(found, Invalid):
            problems.append(found.at("customer_id", row))
            return None
        assert isinstance(found, uuid.UUID)
        return found
