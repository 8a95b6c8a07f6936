"""Who is calling: the principal a verified token names, and the roles Duka knows.

Framework-free: the HTTP entrypoint (`api/auth/principal.py`) authenticates a request and
builds its principal here, through `principal_from`.
"""

import re
from dataclasses import dataclass, field

from duka.auth.tokens import VerifiedToken
from duka.core.errors import AuthenticationError
from duka.core.types import CODE_PATTERN

ALL_ROLES = frozenset(
    {"customers:read", "customers:write", "orders:read", "orders:write", "admin", "staff"}
)
# The roles that let a login act for the business, on every customer's data.
STAFF_ROLES = frozenset({"staff", "admin"})
_CODE = re.compile(CODE_PATTERN)


@dataclass(frozen=True)
class Principal:
    # The issuer's `sub`: immutable and unique, for users and service accounts alike; it
    # is what created_by and idempotency keys record (see docs/security.md).
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    # Set for a customer's own login: that principal sees only this customer's data.
    customer_code: str | None = None
    # The OAuth client the token was issued to (`azp`), e.g. duka-ingest.
    client_id: str | None = None

    @property
    def is_staff(self) -> bool:
        """Acts for the business (all customers): needs an explicit staff role, and no
        customer_code (a customer's code narrows any login; its absence never widens one)."""
        return self.customer_code is None and not self.roles.isdisjoint(STAFF_ROLES)

    @property
    def has_scope(self) -> bool:
        """Either a staff login or a customer's own: anything else may act on nothing."""
        return self.customer_code is not None or self.is_staff


def principal_from(token: VerifiedToken) -> Principal:
    code = token.customer_code
    if code is not None and not _CODE.fullmatch(code):
        raise AuthenticationError("The token's customer_code is not a customer code.")
    return Principal(
        subject=token.subject,
        roles=token.roles & ALL_ROLES,
        customer_code=code,
        client_id=token.client_id,
    )
