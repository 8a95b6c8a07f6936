"""Route-level authorization: `Depends(require("orders:write"))` next to each route."""

# No `from __future__ import annotations`: FastAPI resolves a callable object's
# annotations without its module globals, so they must be real objects here.
from typing import Annotated

from fastapi import Depends

from api.auth.principal import ALL_ROLES, Principal, get_principal
from api.core.errors import ForbiddenError


class RoleRequirement:
    """A dependency that passes when the principal holds every role (or `admin`).

    A class rather than a closure so that tests can list each route's roles and check that
    no /api/v1 route is left without one.
    """

    def __init__(self, roles: frozenset[str]) -> None:
        unknown = roles - ALL_ROLES
        if not roles or unknown:
            raise ValueError(f"require() needs known roles, got {sorted(roles)}")
        self.roles = roles

    # Async: a sync dependency would run in the thread pool on every request.
    async def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if "admin" in principal.roles or self.roles <= principal.roles:
            return principal
        missing = ", ".join(sorted(self.roles - principal.roles))
        raise ForbiddenError(f"This action needs the role(s): {missing}.")

    def __repr__(self) -> str:
        return f"require({', '.join(sorted(self.roles))})"


def require(*roles: str) -> RoleRequirement:
    return RoleRequirement(frozenset(roles))
