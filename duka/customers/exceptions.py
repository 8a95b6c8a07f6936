from __future__ import annotations

from duka.core.errors import ConflictError, NotFoundError


class CustomerNotFoundError(NotFoundError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"No customer {ref}.")


class CustomerCodeTakenError(ConflictError):
    slug = "customer-code-taken"
    title = "Customer code already in use"

    def __init__(self, code: str) -> None:
        super().__init__(f"Customer code {code!r} is already in use (codes ignore case).")


class CustomerHasOrdersError(ConflictError):
    slug = "customer-has-orders"
    title = "Customer has orders"

    def __init__(self) -> None:
        super().__init__("A customer with orders cannot be deleted.")
