"""Role checks declared next to each route."""

from __future__ import annotations

import pytest

from api.auth.principal import ALL_ROLES, Principal
from api.auth.roles import RoleRequirement, require
from api.core.errors import ForbiddenError


def principal(*roles: str) -> Principal:
    return Principal(subject="s", roles=frozenset(roles))


def test_every_required_role_must_be_held() -> None:
    check = require("orders:read", "customers:read")
    holder = principal("orders:read", "customers:read")
    assert check.enforce(holder) is holder
    with pytest.raises(ForbiddenError, match=r"role\(s\): customers:read\."):
        check.enforce(principal("orders:read"))


def test_admin_passes_every_check() -> None:
    admin = principal("admin")
    for role in ALL_ROLES:
        assert require(role).enforce(admin) is admin


@pytest.mark.parametrize("roles", [(), ("orders:delete",), ("orders:read", "superuser")])
def test_a_requirement_names_known_roles(roles: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="known roles"):
        require(*roles)


def test_the_requirement_lists_its_roles() -> None:
    check = require("orders:write")
    assert isinstance(check, RoleRequirement)
    assert check.roles == {"orders:write"}
    assert repr(check) == "require(orders:write)"
