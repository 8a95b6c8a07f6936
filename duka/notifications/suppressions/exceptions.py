from __future__ import annotations

from duka.core.errors import NotFoundError


class SuppressionNotFoundError(NotFoundError):
    def __init__(self, phone: str) -> None:
        super().__init__(f"{phone} is not on the SMS suppression list.")
