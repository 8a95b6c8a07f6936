"""A customer's own login sees only its own data (the services' row filter)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from duka.auth.principal import ALL_ROLES, Principal
from duka.core.errors import NotFoundError, ValidationFailedError
from duka.core.settings import Settings
from duka.customers.service import CustomerService
from duka.db.engine import Database
from duka.orders.schemas import OrderCreate
from duka.orders.service import OrderService

pytestmark = pytest.mark.anyio

Factory = Callable[..., Awaitable[dict[str, Any]]]


async def test_a_customer_login_sees_only_itself(
    db: Database, settings: Settings, new_customer: Factory, new_order: Factory
) -> None:
    mine = await new_customer(code="Mine-1")
    theirs = await new_customer(code="Theirs-1")
    my_order = await new_order(mine["id"])
    their_order = await new_order(theirs["id"])
    me = Principal(subject="mine", roles=ALL_ROLES, customer_code="MINE-1")
    customers = CustomerService(db, settings)
    orders = OrderService(db, settings)

    page = await customers.list(me, code=None, q=None, cursor=None, limit=10)
    assert [str(c.id) for c in page.items] == [mine["id"]]
    assert str((await customers.get_by_code(me, "mine-1")).id) == mine["id"]
    with pytest.raises(NotFoundError):
        await customers.get_by_code(me, "Theirs-1")
    with pytest.raises(NotFoundError):
        await customers.delete(me, uuid.UUID(theirs["id"]))

    listed = await orders.list(
        me,
        customer_id=None,
        customer_code=None,
        ordered_from=None,
        ordered_to=None,
        cursor=None,
        limit=10,
    )
    assert [str(o.id) for o in listed.items] == [my_order["id"]]
    with pytest.raises(NotFoundError):
        await orders.get(me, uuid.UUID(their_order["id"]))
    # Ordering for someone else's customer reads as an unknown customer, not a leak.
    with pytest.raises(ValidationFailedError) as refused:
        await orders.create(
            OrderCreate.model_validate({"customer_code": "Theirs-1", "item": "Tea", "amount": 1}),
            me,
            None,
        )
    assert refused.value.errors[0].code == "unknown_customer"
