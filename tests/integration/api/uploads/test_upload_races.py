"""Stored data that changes between an upload's checks and its COPY: refused, nothing kept.

The window is too short to hit from a test, so the check is made to miss what is there.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from duka.uploads import customer_store, order_store
from tests.integration.api.uploads.uploads_support import (
    CUSTOMERS,
    ORDERS,
    Counter,
    Poster,
    ProblemCheck,
    Seed,
    csv_text,
)

pytestmark = pytest.mark.anyio

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]


async def test_a_code_taken_after_the_check_is_a_conflict(
    post_body: Poster,
    new_customer: NewCustomer,
    problem: ProblemCheck,
    count_rows: Counter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await new_customer(code="LATE-1")

    async def nothing_taken(conn: AsyncConnection, lowered: object) -> set[str]:
        return set()

    monkeypatch.setattr(customer_store, "_taken", nothing_taken)
    rows = [("ok-1", "First", "0712345678"), ("late-1", "Clash", "0712345679")]
    r = await post_body(CUSTOMERS, csv_text(("code", "name", "phone"), rows))
    body = problem(r, 409, "customer-code-taken")
    assert "Retry the upload" in body["detail"]
    assert await count_rows("customers") == 1


async def test_generated_codes_give_up_after_their_rounds(
    post_body: Poster,
    new_customer: NewCustomer,
    problem: ProblemCheck,
    count_rows: Counter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await new_customer(code="CUST-000001")
    monkeypatch.setattr(customer_store, "_GENERATION_ROUNDS", 1)
    r = await post_body(CUSTOMERS, csv_text(("name", "phone"), [("No code", "0712345678")]))
    problem(r, 409, "customer-code-taken")
    assert await count_rows("customers") == 1


async def test_a_customer_gone_before_the_copy_fails_the_upload(
    post_body: Poster,
    seed_customers: Seed,
    problem: ProblemCheck,
    count_rows: Counter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed_customers(1)
    real = order_store._recipients

    async def with_a_ghost(*args: Any) -> dict[Any, Any]:
        found = await real(*args)
        return {ref: (uuid.uuid4(), name, phone) for ref, (_, name, phone) in found.items()}

    monkeypatch.setattr(order_store, "_recipients", with_a_ghost)
    content = csv_text(("customer_code", "item", "amount"), [("CUST-000001", "x", "1")])
    body = problem(await post_body(ORDERS, content), 422, "validation-error")
    assert "deleted while it was being stored" in body["detail"]
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("customer_code", "unknown_customer")
    ]
    assert (await count_rows("orders"), await count_rows("notifications")) == (0, 0)
