"""Helpers for the SMS flow tests: fast settings, customers and orders, a runner in this
process, the sandbox's inbox, and waiting for the outbox to settle."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from pydantic import SecretStr
from sqlalchemy import text

from devtools.at_sandbox.runner import SandboxServer
from duka.auth.principal import Principal
from duka.core.settings import Settings
from duka.db.engine import Database
from duka.orders.schemas import OrderCreate
from duka.orders.service import OrderService
from flows.context import RunnerContext
from flows.runner import SmsRunner
from flows.settings import SmsFlowSettings

ADMIN = Principal(subject="sms-tests", roles=frozenset({"admin"}))

# Short everything: retries in tens of milliseconds, leases and graces in seconds.
FAST = SmsFlowSettings(
    max_retries=8,
    retry_backoff_s=0.05,
    retry_jitter_factor=0.5,
    lease_s=3.0,
    sweep_interval_s=0.5,
    unknown_grace_s=0.75,
    unknown_lookup="sandbox_inbox",
    session_idle_s=2.0,
    session_max_s=120.0,
    prefect_backoff_max_s=1.0,
    # The retention pass has its own tests (tests/integration/flows/test_retention.py).
    retention_interval_s=0,
)


def settings_for(database_url: str, sandbox: SandboxServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "environment": "test",
        "at_username": sandbox.config.username,
        "at_api_key": SecretStr(sandbox.config.api_key),
        "at_base_url": sandbox.base_url,
        "at_timeout_s": 0.5,
        "db_connect_timeout_s": 15,
    }
    return Settings(**(values | overrides))


async def add_customers(db: Database, count: int) -> list[tuple[uuid.UUID, str]]:
    """`count` customers with distinct phone numbers: (id, phone) in code order."""
    async with db.begin() as conn:
        start = (await conn.execute(text("SELECT count(*) FROM customers"))).scalar_one()
        rows = await conn.execute(
            text(
                """
                INSERT INTO customers (code, name, phone)
                SELECT 'SMS-' || i, 'Customer ' || i, '+2547' || lpad(i::text, 8, '0')
                FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i
                RETURNING id, phone
                """
            ),
            {"first": start + 1, "last": start + count},
        )
        return [(r.id, r.phone) for r in rows]


async def create_orders(
    db: Database, settings: Settings, customers: list[tuple[uuid.UUID, str]], workers: int = 8
) -> list[uuid.UUID]:
    """One order per customer through the order service (the API's path, NOTIFY included),
    `workers` at a time."""
    service = OrderService(db, settings)
    queue = list(customers)
    made: list[uuid.UUID] = []

    async def work() -> None:
        while queue:
            customer_id, _ = queue.pop()
            body = OrderCreate(customer_id=customer_id, item="Maize flour 2kg", amount=Decimal(10))
            order, _ = await service.create(body, ADMIN, None)
            made.append(order.id)

    await asyncio.gather(*(work() for _ in range(workers)))
    return made


@asynccontextmanager
async def running_runner(
    settings: Settings, sms: SmsFlowSettings = FAST, **deps: Any
) -> AsyncIterator[SmsRunner]:
    """An SmsRunner in this event loop, listening before the block starts."""
    opened = await RunnerContext.open(settings, sms, **deps)
    runner = SmsRunner(opened)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop, grace_s=10))
    try:
        await asyncio.wait_for(runner.listener.listening.wait(), 30)
        yield runner
    finally:
        stop.set()
        await task
        await opened.aclose()


async def statuses(db: Database) -> Counter[str]:
    async with db.autocommit() as conn:
        rows = await conn.execute(text("SELECT status, count(*) FROM notifications GROUP BY 1"))
        return Counter({r[0]: int(r[1]) for r in rows})


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout_s: float, what: str, every_s: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(every_s)


async def settled(db: Database, count: int, timeout_s: float) -> Counter[str]:
    """Wait until every one of `count` notifications is sent, delivered or failed."""

    async def done() -> bool:
        seen = await statuses(db)
        return seen["sent"] + seen["delivered"] + seen["failed"] >= count

    await wait_until(done, timeout_s, f"{count} notifications to settle")
    return await statuses(db)


def inbox_counts(sandbox: SandboxServer) -> Counter[str]:
    """Messages the sandbox accepted, per number."""
    return Counter(m.to for m in sandbox.state.inbox.find())


async def task_runs_named(name: str) -> list[Any]:
    """The Prefect task runs with this name (as the server recorded them so far)."""
    from prefect import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    async with get_client() as client:
        return list(
            await client.read_task_runs(
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=[name]))
            )
        )


class _AdminTokens:
    """Takes any bearer token as ADMIN's (the token check has its own tests)."""

    async def verify(self, token: str) -> Any:
        from duka.auth.tokens import VerifiedToken

        return VerifiedToken(
            subject=ADMIN.subject,
            roles=ADMIN.roles,
            customer_code=None,
            client_id=None,
            claims={},
        )


def admin_app(settings: Settings, db: Database) -> Any:
    """The app on `db`, taking every bearer token as an admin's without checking it."""
    from api.main import create_app

    app = create_app(settings)
    app.state.db = db
    app.state.token_verifier = _AdminTokens()
    return app


def admin_client(app: Any) -> Any:
    """An httpx client of `app` (made by `admin_app`), sending a bearer token."""
    import httpx

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(
        transport=transport,
        base_url="http://duka.test",
        headers={"Authorization": "Bearer sms-tests-admin"},
    )


def api_client(settings: Settings, db: Database) -> Any:
    """An httpx client of the app on `db`, called as an admin whose token is not checked."""
    return admin_client(admin_app(settings, db))


class LiveApi:
    """The API served by uvicorn in a thread, for callers that need a URL (the sandbox's
    delivery reports)."""

    def __init__(self, settings: Settings) -> None:
        import threading

        import uvicorn

        from api.main import create_app

        self._server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings),
                host="127.0.0.1",
                port=0,
                log_level="warning",
                access_log=False,
                lifespan="on",
            )
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.port = 0

    def __enter__(self) -> LiveApi:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API did not start")
            time.sleep(0.01)
        self.port = int(self._server.servers[0].sockets[0].getsockname()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
