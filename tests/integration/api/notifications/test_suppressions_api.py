"""The SMS suppression list over REST: AT's opt-out callback (the callback secret, no
bearer token) adds to it, an admin lists it page by page and clears entries, and orders to
a listed number are stored `suppressed`."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr

from api.main import create_app
from duka.core.settings import Settings
from duka.db.engine import Database

pytestmark = pytest.mark.anyio

SECRET = "a-long-callback-secret"
OPT_OUT = "/api/v1/webhooks/africastalking/opt-out"
SUPPRESSIONS = "/api/v1/sms-suppressions"
JsonObject = dict[str, Any]
ClientAs = Callable[[str | None], httpx.AsyncClient]


def opt_outs_counted() -> float:
    labels = {"source": "opt_out"}
    return REGISTRY.get_sample_value("duka_sms_suppressions_total", labels) or 0.0


def basic(password: str) -> dict[str, str]:
    token = base64.b64encode(f"africastalking:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
async def callback(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"at_callback_secret": SecretStr(SECRET)}))
    app.state.db = db
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
        yield c


async def test_an_opt_out_suppresses_the_numbers_next_orders(
    callback: httpx.AsyncClient,
    client: httpx.AsyncClient,
    new_customer: Callable[..., Awaitable[JsonObject]],
    new_order: Callable[..., Awaitable[JsonObject]],
) -> None:
    customer = await new_customer()
    phone = customer["phone"]
    form = {"phoneNumber": phone, "senderId": "DUKA", "someFieldAtAdds": "x"}
    counted = opt_outs_counted()
    first = await callback.post(OPT_OUT, data=form, headers=basic(SECRET))
    assert first.status_code == 200, first.text
    assert first.json() == {"result": "suppressed"}
    again = await callback.post(f"{OPT_OUT}/{SECRET}", data=form)
    assert again.json() == {"result": "already"}
    assert opt_outs_counted() == counted + 1, "a repeated opt-out is not counted again"

    order = await new_order(customer["id"])
    assert order["notification"]["status"] == "suppressed"
    shown = (await client.get(f"/api/v1/orders/{order['id']}")).json()["notification"]
    assert (shown["status"], shown["attempts"], shown["segments"]) == ("suppressed", 0, None)

    listed = (await client.get(SUPPRESSIONS)).json()
    assert [(i["phone"], i["source"], i["sender_id"]) for i in listed["items"]] == [
        (phone, "opt_out", "DUKA")
    ]
    cleared = await client.delete(f"{SUPPRESSIONS}/{phone.replace('+', '%2B')}")
    assert cleared.status_code == 204
    assert (await new_order(customer["id"]))["notification"]["status"] == "pending"


@pytest.mark.parametrize(
    ("headers", "path", "status"),
    [({}, OPT_OUT, 401), (basic("wrong-secret-of-some-length"), OPT_OUT, 401)],
)
async def test_the_opt_out_callback_needs_the_secret(
    callback: httpx.AsyncClient, headers: dict[str, str], path: str, status: int
) -> None:
    answer = await callback.post(path, data={"phoneNumber": "+254712345678"}, headers=headers)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("number", ["", "not-a-number", "+0712", "+25471234567890123"])
async def test_a_bad_opt_out_number_is_a_problem_naming_the_field(
    callback: httpx.AsyncClient, number: str
) -> None:
    answer = await callback.post(OPT_OUT, data={"phoneNumber": number}, headers=basic(SECRET))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "phoneNumber" in answer.text


async def test_the_list_pages_and_needs_an_admin(
    callback: httpx.AsyncClient, client: httpx.AsyncClient, client_as: ClientAs
) -> None:
    phones = [f"+2547110000{n:02d}" for n in range(5)]
    for phone in phones:
        await callback.post(OPT_OUT, data={"phoneNumber": phone}, headers=basic(SECRET))
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(SUPPRESSIONS, params=params)).json()
        seen += [i["phone"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == phones, "every number once, in pages of two"

    assert (await client_as("clerk").get(SUPPRESSIONS)).status_code == 403
    assert (await client_as(None).get(SUPPRESSIONS)).status_code == 401
    assert (await client_as("clerk").delete(f"{SUPPRESSIONS}/%2B254711000000")).status_code == 403


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"{SUPPRESSIONS}/0711000000", {}),
        (SUPPRESSIONS, {"limit": 0}),
        (SUPPRESSIONS, {"cursor": "garbage"}),
    ],
)
async def test_bad_admin_input_is_a_problem(
    client: httpx.AsyncClient, path: str, params: dict[str, Any]
) -> None:
    answer = await (
        client.delete(path) if path != SUPPRESSIONS else client.get(path, params=params)
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_clearing_a_number_not_listed_is_404(client: httpx.AsyncClient) -> None:
    answer = await client.delete(f"{SUPPRESSIONS}/%2B254711999999")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
