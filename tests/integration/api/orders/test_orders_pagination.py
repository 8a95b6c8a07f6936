"""Keyset pagination of orders by (ordered_at, id)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio

Factory = Callable[..., Awaitable[dict[str, Any]]]


async def test_pages_follow_ordered_at_then_id_without_gaps_or_repeats(
    client: httpx.AsyncClient, new_customer: Factory, new_order: Factory
) -> None:
    customer = (await new_customer())["id"]
    same_time = [
        (await new_order(customer, ordered_at="2026-05-01T10:00:00Z"))["id"] for _ in range(5)
    ]
    earlier = (await new_order(customer, ordered_at="2026-04-30T10:00:00+03:00"))["id"]
    later = (await new_order(customer, ordered_at="2026-05-02T00:00:00Z"))["id"]

    seen: list[str] = []
    added_after: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "customer_id": customer}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/orders", params=params)).json()
        pages += 1
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # Orders added mid-way: one sorting before the cursor (not shown), one after (shown).
        if pages == 1:
            await new_order(customer, ordered_at="2026-04-01T00:00:00Z")
            added_after.append((await new_order(customer, ordered_at="2026-05-03T00:00Z"))["id"])
    assert pages == 4
    assert seen == [earlier, *sorted(same_time), later, *added_after]
