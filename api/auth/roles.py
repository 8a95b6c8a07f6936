"""Route-level authorization: `Depends(require("orders:write"))` next to each route."""

# No `from __future__ import annotations`: FastAPI resolves a callable object's
# annotations without its module globals, so they must be real objects here.
from fastapi import Request

from api.auth.principal import BearerPrincipal
from duka.auth.principal import ALL_ROLES, Principal
from duka.core.errors import ForbiddenError


class RoleRequirement(BearerPrincipal):
    """Authenticates the caller and passes when it holds every role (or `admin`).

    The bearer scheme itself (a `BearerPrincipal`), so a route's role check is one
    dependency that also hands over the principal, not a chain of two: this runs on every
    request. A class rather than a closure so that tests can list each route's roles and
    check that no /api/v1 route is left without one.
    """

    def __init__(self, roles: frozenset[str]) -> None:
        unknown = roles - ALL_ROLES
        if not roles or unknown:
            raise ValueError(f"require() needs known roles, got {sorted(roles)}")
        super().__init__()
        self.roles = roles

    async def __call__(self, request: Request) -> Principal:
        return self.enforce(await super().__call__(request))

    def enforce(self, principal: Principal) -> Principal:
        """The principal, if it holds the roles and a scope; else ForbiddenError saying
        what lacks."""
        if "admin" not in principal.roles and not self.roles <= principal.roles:
            missing = ", ".join(sorted(self.roles - principal.roles))
            raise ForbiddenError(f"This action needs the role(s): {missing}.")
        if not principal.has_scope:
            # A token for this API from a client without the customer_code mapper must not
            # read as staff: the services treat "no customer_code" as all customers.
            raise ForbiddenError(
                "This login is neither staff (role staff) nor a customer's own "
                "(claim customer_code), so it may act on no data."
            )
        return principal

    def __repr__(self) -> str:
        return f"require({', '.join(sorted(self.roles))})"


def require(*roles: str) -> RoleRequirement:
    return RoleRequirement(frozenset(roles))
