"""POST /api/v1/webhooks/africastalking/delivery: the callback's own authentication (no
bearer token), form validation, and idempotent, forward-only status updates."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import text

from api.main import create_app
from duka.core.settings import Settings
from duka.db.engine import Database

pytestmark = pytest.mark.anyio

SECRET = "a-long-callback-secret"
PATH = "/api/v1/webhooks/africastalking/delivery"
JsonObject = dict[str, Any]


def basic(password: str, user: str = "africastalking") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def form(message_id: str, status: str = "Success", **extra: str) -> dict[str, str]:
    return {
        "id": message_id,
        "status": status,
        "phoneNumber": "+254712345678",
        "networkCode": "63902",
        "retryCount": "0",
        **extra,
    }


@pytest.fixture
async def app_without_tokens(
    settings: Settings, db: Database
) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """Clients of apps with changed settings that send no bearer token, as AT does."""
    made: list[httpx.AsyncClient] = []

    def make(**overrides: Any) -> httpx.AsyncClient:
        app = create_app(settings.model_copy(update=overrides))
        app.state.db = db
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        made.append(httpx.AsyncClient(transport=transport, base_url="http://duka.test"))
        return made[-1]

    yield make
    for c in made:
        await c.aclose()


@pytest.fixture
def callback(app_without_tokens: Callable[..., httpx.AsyncClient]) -> httpx.AsyncClient:
    """A client of an app with the callback secret set."""
    return app_without_tokens(at_callback_secret=SecretStr(SECRET))


@pytest.fixture
def sent_sms(
    db: Database,
    new_customer: Callable[..., Awaitable[JsonObject]],
    new_order: Callable[..., Awaitable[JsonObject]],
) -> Callable[[str], Awaitable[str]]:
    """An order whose SMS Africa's Talking accepted with this message id; its order id."""

    async def make(message_id: str) -> str:
        customer = await new_customer()
        order = await new_order(customer["id"])
        async with db.autocommit() as conn:
            await conn.execute(
                text(
                    "UPDATE notifications SET status = 'sent', provider_message_id = :m, "
                    "sent_at = now(), attempts = 1 WHERE order_id = :o"
                ),
                {"m": message_id, "o": order["id"]},
            )
        return str(order["id"])

    return make


async def notification(client: httpx.AsyncClient, order_id: str) -> JsonObject:
    answer = await client.get(f"/api/v1/orders/{order_id}")
    assert answer.status_code == 200, answer.text
    found: JsonObject = answer.json()["notification"]
    return found


async def test_success_marks_delivered_and_a_replay_changes_nothing(
    callback: httpx.AsyncClient,
    client: httpx.AsyncClient,
    sent_sms: Callable[[str], Awaitable[str]],
) -> None:
    order_id = await sent_sms("ATXid_1")
    first = await callback.post(PATH, data=form("ATXid_1"), headers=basic(SECRET))
    assert first.status_code == 200, first.text
    assert first.json() == {"result": "applied"}
    delivered = await notification(client, order_id)
    assert delivered["status"] == "delivered"
    assert delivered["delivered_at"] is not None

    replay = await callback.post(PATH, data=form("ATXid_1"), headers=basic(SECRET))
    assert replay.json() == {"result": "duplicate"}
    assert await notification(client, order_id) == delivered, "a replay changes nothing"


async def test_a_failure_report_marks_failed_with_the_reason(
    callback: httpx.AsyncClient,
    client: httpx.AsyncClient,
    sent_sms: Callable[[str], Awaitable[str]],
) -> None:
    order_id = await sent_sms("ATXid_2")
    answer = await callback.post(
        f"{PATH}/{SECRET}", data=form("ATXid_2", "Rejected", failureReason="UserInBlackList")
    )
    assert answer.json() == {"result": "applied"}
    failed = await notification(client, order_id)
    assert (failed["status"], failed["last_error"]) == (
        "failed",
        "not delivered: Rejected (UserInBlackList)",
    )


async def test_reports_only_move_forward(
    callback: httpx.AsyncClient,
    client: httpx.AsyncClient,
    sent_sms: Callable[[str], Awaitable[str]],
) -> None:
    order_id = await sent_sms("ATXid_3")
    intermediate = await callback.post(
        PATH, data=form("ATXid_3", "Buffered"), headers=basic(SECRET)
    )
    assert intermediate.json() == {"result": "recorded"}
    assert (await notification(client, order_id))["status"] == "sent"
    await callback.post(PATH, data=form("ATXid_3", "Success"), headers=basic(SECRET))
    late = await callback.post(
        PATH, data=form("ATXid_3", "Failed", failureReason="DeliveryFailure"), headers=basic(SECRET)
    )
    assert late.json() == {"result": "recorded"}
    assert (await notification(client, order_id))["status"] == "delivered"


async def test_a_report_for_an_unknown_message_is_kept_unmatched(
    callback: httpx.AsyncClient, db: Database
) -> None:
    answer = await callback.post(PATH, data=form("ATXid_nobody"), headers=basic(SECRET))
    assert answer.json() == {"result": "recorded"}
    async with db.autocommit() as conn:
        row = (
            await conn.execute(
                text("SELECT phone_number, notification_id, retry_count FROM delivery_reports")
            )
        ).one()
    assert tuple(row) == ("+254712345678", None, 0)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("wrong-secret-of-some-length"),
        basic(SECRET[:-1]),
        {"Authorization": "Basic not base64!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"Authorization": "Bearer " + SECRET},
    ],
    ids=["none", "wrong", "prefix", "garbled", "no-colon", "bearer"],
)
async def test_without_the_secret_it_is_401_and_nothing_is_stored(
    callback: httpx.AsyncClient,
    db: Database,
    headers: dict[str, str],
    problem: Callable[..., JsonObject],
) -> None:
    answer = await callback.post(PATH, data=form("ATXid_4"), headers=headers)
    problem(answer, 401, "unauthorized")
    # The challenge names the scheme the callback takes (RFC 9110), not bearer tokens.
    assert answer.headers["www-authenticate"] == 'Basic realm="duka-callbacks", charset="UTF-8"'
    async with db.autocommit() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM delivery_reports"))).scalar() == 0


async def test_a_wrong_secret_in_the_path_is_401(
    callback: httpx.AsyncClient, problem: Callable[..., JsonObject]
) -> None:
    problem(await callback.post(f"{PATH}/not-it", data=form("ATXid_5")), 401, "unauthorized")


async def test_without_a_configured_secret_the_callback_does_not_exist(
    app_without_tokens: Callable[..., httpx.AsyncClient], problem: Callable[..., JsonObject]
) -> None:
    disabled = app_without_tokens(at_callback_secret=None)
    answer = await disabled.post(PATH, data=form("ATXid_6"), headers=basic(SECRET))
    problem(answer, 404, "not-found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "Success"}, "id"),
        ({"id": "ATXid_7"}, "status"),
        ({"id": "x" * 129, "status": "Success"}, "id"),
        ({"id": "ATXid_7", "status": "Success", "retryCount": "-1"}, "retryCount"),
    ],
)
async def test_a_malformed_report_is_422(
    callback: httpx.AsyncClient,
    body: dict[str, str],
    field: str,
    problem: Callable[..., JsonObject],
) -> None:
    answer = await callback.post(PATH, data=body, headers=basic(SECRET))
    errors = problem(answer, 422, "validation-error")["errors"]
    assert field in {e["field"] for e in errors}


async def test_extra_fields_from_the_provider_are_ignored(
    callback: httpx.AsyncClient, sent_sms: Callable[[str], Awaitable[str]]
) -> None:
    await sent_sms("ATXid_8")
    answer = await callback.post(
        PATH, data=form("ATXid_8", cost="KES 0.8", **{"x-new": "1"}), headers=basic(SECRET)
    )
    assert answer.json() == {"result": "applied"}


def test_the_secret_must_be_long() -> None:
    with pytest.raises(ValidationError, match="at_callback_secret"):
        Settings(at_callback_secret=SecretStr("short"))
