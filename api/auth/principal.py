"""Who is calling. Every route gets the caller through `get_principal` and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends

from api.core.settings import Settings, get_settings

ALL_ROLES = frozenset({"customers:read", "customers:write", "orders:read", "orders:write", "admin"})


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    # Set for a customer's own login: that principal sees only this customer's data.
    customer_code: str | None = None


def get_principal(settings: Annotated[Settings, Depends(get_settings)]) -> Principal:
    """Development principal with every role.

    This is the single identity seam: the OIDC integration replaces this function's body
    with bearer-token validation, and no route changes.
    """
    return Principal(subject=settings.dev_principal_subject, roles=ALL_ROLES)
