"""Per-principal limits on real PostgreSQL: shared by replicas, answered as 429 problems."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.main import create_app
from duka.core.settings import Settings
from duka.db.engine import Database
from tests.support.keycloak import Tokens

pytestmark = pytest.mark.anyio

OWN_CODE = "CUST-000001"
ORDERS = "/api/v1/orders"
UPLOAD_ORDERS = "/api/v1/uploads/orders"
Replica = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def replicas(
    settings: Settings, db: Database, database_url: str, tokens: Tokens
) -> AsyncIterator[Callable[..., list[Replica]]]:
    """`make(n, **limits)`: n API replicas on the test database, each with its own database
    handle and limiter (as separate processes have), under the given settings."""
    opened: list[Database] = []
    clients: list[httpx.AsyncClient] = []

    def make(n: int, **limits: Any) -> list[Replica]:
        tuned = settings.model_copy(update=limits)
        made: list[Replica] = []
        for _ in range(n):
            app = create_app(tuned)
            app.state.db = Database(database_url, tuned)
            opened.append(app.state.db)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

            def client(who: str, transport: httpx.ASGITransport = transport) -> httpx.AsyncClient:
                c = httpx.AsyncClient(
                    transport=transport, base_url="http://duka.test", auth=tokens.auth(who)
                )
                clients.append(c)
                return c

            made.append(client)
        return made

    yield make
    for c in clients:
        await c.aclose()
    for d in opened:
        await d.dispose()


@pytest.fixture
async def own_customer(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/customers", json={"name": "Own", "phone": "0712000001", "code": OWN_CODE}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def order(item: str = "Tea") -> dict[str, Any]:
    return {"customer_code": OWN_CODE, "item": item, "amount": "5"}


async def count(db: Database, sql: str) -> int:
    async with db.autocommit() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


def assert_rate_limited(r: httpx.Response) -> int:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "urn:duka:problem:rate-limited"
    assert body["status"] == 429
    assert body["title"] == "Too many requests"
    retry_after = int(r.headers["retry-after"])
    assert retry_after >= 1
    assert f"retry in {retry_after} s" in body["detail"]
    return retry_after


async def test_a_customer_login_is_held_to_its_burst_across_two_replicas(
    replicas: Callable[..., list[Replica]], own_customer: dict[str, Any], db: Database
) -> None:
    first, second = replicas(2, limit_customer_orders_burst=6, limit_customer_orders_per_minute=1)
    a, b = first("customer"), second("customer")
    answers = [await (a if i % 2 else b).post(ORDERS, json=order(f"Tea {i}")) for i in range(12)]
    assert [r.status_code for r in answers].count(201) == 6
    for r in answers[6:]:
        assert assert_rate_limited(r) <= 60
        assert "1 orders per minute" in r.json()["detail"]
    assert await count(db, "SELECT count(*) FROM notifications") == 6, "no SMS over the limit"

    # Another principal has its own buckets, on either replica.
    clerk = first("clerk")
    assert (await clerk.post(ORDERS, json=order())).status_code == 201


async def test_a_staff_principal_is_held_to_its_burst_across_replicas_despite_leases(
    replicas: Callable[..., list[Replica]], own_customer: dict[str, Any], db: Database
) -> None:
    # Leases grow while a principal is busy: still never more orders than the bucket held.
    one, two = replicas(2, limit_orders_burst=60, limit_orders_per_minute=1, limit_lease_max=8)
    a, b = one("clerk"), two("clerk")
    made = 0
    for i in range(100):
        r = await (a if i % 3 else b).post(ORDERS, json=order(f"Tea {i}"))
        if r.status_code == 201:
            made += 1
        else:
            assert_rate_limited(r)
    assert 52 <= made <= 60, "at most one lease per replica left unspent"
    assert await count(db, "SELECT count(*) FROM orders") == made


async def test_an_upload_larger_than_the_quota_left_is_refused_whole(
    replicas: Callable[..., list[Replica]], own_customer: dict[str, Any], db: Database
) -> None:
    [api] = replicas(1, limit_customer_orders_per_day=8)
    me = api("customer")
    rows = "customer_code,item,amount\n" + "".join(f"{OWN_CODE},Tea {i},5\n" for i in range(5))
    headers = {"Content-Type": "text/csv"}
    assert (await me.post(UPLOAD_ORDERS, content=rows, headers=headers)).status_code == 201
    refused = await me.post(UPLOAD_ORDERS, content=rows, headers=headers)
    assert_rate_limited(refused)
    assert "8 orders per day" in refused.json()["detail"]
    assert await count(db, "SELECT count(*) FROM orders") == 5, "nothing of it stored"
    # What is left of the quota is still there: the refused upload took nothing.
    for i in range(3):
        assert (await me.post(ORDERS, json=order(f"Tea {i}"))).status_code == 201
    assert_rate_limited(await me.post(ORDERS, json=order()))


async def test_a_customer_login_has_a_smaller_upload_cap(
    replicas: Callable[..., list[Replica]], own_customer: dict[str, Any], db: Database
) -> None:
    [api] = replicas(1, max_customer_upload_rows=3)
    headers = {"Content-Type": "text/csv"}

    def body(n: int) -> str:
        return "customer_code,item,amount\n" + "".join(f"{OWN_CODE},T{i},5\n" for i in range(n))

    too_many = await api("customer").post(UPLOAD_ORDERS, content=body(4), headers=headers)
    assert too_many.status_code == 413, too_many.text
    assert "more than 3 rows" in too_many.json()["detail"]
    assert await count(db, "SELECT count(*) FROM orders") == 0
    assert (
        await api("customer").post(UPLOAD_ORDERS, content=body(3), headers=headers)
    ).status_code == 201
    assert (
        await api("clerk").post(UPLOAD_ORDERS, content=body(4), headers=headers)
    ).status_code == 201


async def test_uploads_per_hour_are_limited_per_principal(
    replicas: Callable[..., list[Replica]], own_customer: dict[str, Any]
) -> None:
    first, second = replicas(2, limit_customer_uploads_per_hour=2)
    rows = f"customer_code,item,amount\n{OWN_CODE},Tea,5\n"
    headers = {"Content-Type": "text/csv"}
    assert (
        await first("customer").post(UPLOAD_ORDERS, content=rows, headers=headers)
    ).status_code == 201
    assert (
        await second("customer").post(UPLOAD_ORDERS, content=rows, headers=headers)
    ).status_code == 201
    refused = await first("customer").post(UPLOAD_ORDERS, content=rows, headers=headers)
    assert assert_rate_limited(refused) == 1800
    assert "2 uploads per hour" in refused.json()["detail"]


async def test_openapi_documents_429_with_retry_after_on_the_limited_routes(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in (ORDERS, UPLOAD_ORDERS, "/api/v1/uploads/customers"):
        answer = paths[path]["post"]["responses"]["429"]
        assert "application/problem+json" in answer["content"]
        assert answer["headers"]["Retry-After"]["schema"]["type"] == "integer"
