"""Route-level authorization: `Depends(require("orders:write"))` next to each route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from api.auth.principal import Principal, get_principal
from api.core.errors import ForbiddenError


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that passes when the principal holds every role (or `admin`)."""
    needed = frozenset(roles)

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if "admin" in principal.roles or needed <= principal.roles:
            return principal
        missing = ", ".join(sorted(needed - principal.roles))
        raise ForbiddenError(f"This action needs the role(s): {missing}.")

    return check
