from __future__ import annotations

from duka.core.errors import FieldError, NotFoundError, ValidationFailedError


class OrderNotFoundError(NotFoundError):
    def __init__(self, order_id: object) -> None:
        super().__init__(f"No order with id {order_id}.")


class UnknownCustomerError(ValidationFailedError):
    """The order names a customer that does not exist (or that the caller may not see)."""

    def __init__(self, field: str, row: int | None = None) -> None:
        super().__init__(
            "The order's customer does not exist.",
            [FieldError(field=field, message="no such customer", code="unknown_customer", row=row)],
        )


def customer_reference_error() -> ValidationFailedError:
    message = "give exactly one of customer_id or customer_code"
    return ValidationFailedError(
        "The order must name its customer once.",
        [FieldError(field="customer_id", message=message, code="customer_reference")],
    )
