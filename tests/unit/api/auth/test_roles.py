"""Role checks declared next to each route."""

from __future__ import annotations

import pytest

from api.auth.roles import RoleRequirement, require
from duka.auth.principal import ALL_ROLES, Principal
from duka.core.errors import ForbiddenError


def principal(*roles: str) -> Principal:
    """A staff login holding these roles."""
    return Principal(subject="s", roles=frozenset({*roles, "staff"}))


def test_every_required_role_must_be_held() -> None:
    check = require("orders:read", "customers:read")
    holder = principal("orders:read", "customers:read")
    assert check.enforce(holder) is holder
    with pytest.raises(ForbiddenError, match=r"role\(s\): customers:read\."):
        check.enforce(principal("orders:read"))


def test_admin_passes_every_check() -> None:
    admin = Principal(subject="s", roles=frozenset({"admin"}))
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


def test_without_the_staff_role_or_a_customer_code_a_token_acts_on_nothing() -> None:
    # aud duka-api and data roles, but neither the staff role nor the customer_code claim
    # (a client without the mapper): never read as staff.
    unscoped = Principal(subject="s", roles=frozenset({"customers:read", "orders:read"}))
    assert not unscoped.is_staff
    for check in (require("customers:read"), require("orders:read")):
        with pytest.raises(ForbiddenError, match="staff"):
            check.enforce(unscoped)


def test_a_customer_code_scopes_a_login_without_the_staff_role() -> None:
    customer = Principal(subject="s", roles=frozenset({"orders:read"}), customer_code="CUST-000001")
    assert require("orders:read").enforce(customer) is customer
    assert not customer.is_staff


def test_a_customer_code_narrows_even_a_staff_login() -> None:
    both = Principal(subject="s", roles=frozenset({"staff"}), customer_code="CUST-000001")
    assert not both.is_staff


def test_admin_is_staff() -> None:
    admin = Principal(subject="s", roles=frozenset({"admin"}))
    assert admin.is_staff
    assert require("orders:write").enforce(admin) is admin
