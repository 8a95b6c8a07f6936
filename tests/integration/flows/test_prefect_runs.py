"""Prefect flow runs: created once per idempotency key, the sweeper runs once per interval
across runners, and the flows also run on their own (outside the runner)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text

from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.core.settings import get_settings
from duka.db.engine import Database
from flows.context import RunnerContext
from flows.dispatch import dispatch_order_sms
from flows.prefect_api import create_flow_run_once, prefect_reachable
from flows.runner import SmsRunner
from flows.settings import get_sms_settings
from flows.sweep import sweep_order_sms
from tests.support.sms_flows import (
    FAST,
    add_customers,
    create_orders,
    inbox_counts,
    settings_for,
    statuses,
)

pytestmark = pytest.mark.anyio


async def test_a_repeated_create_returns_the_same_flow_run(prefect_server: PrefectServer) -> None:
    assert await prefect_reachable()
    key = f"test:{uuid.uuid4()}"
    first = await create_flow_run_once(
        sweep_order_sms, name="sms-sweep-test", parameters={}, tags=["sms"], idempotency_key=key
    )
    again = await create_flow_run_once(
        sweep_order_sms, name="sms-sweep-test", parameters={}, tags=["sms"], idempotency_key=key
    )
    assert (first.created, again.created) == (True, False)
    assert first.flow_run.id == again.flow_run.id
    assert first.flow_run.tags == ["sms"]


async def test_prefects_own_database_commits_asynchronously(
    prefect_server: PrefectServer,
) -> None:
    """DATABASE_SETTINGS (docs/operations.md, "Prefect server settings"): set on Prefect's
    database at the server's start, and what its sessions get."""
    async with await psycopg.AsyncConnection.connect(
        prefect_server.database_url, autocommit=True
    ) as conn:
        row = await (await conn.execute("SHOW synchronous_commit")).fetchone()
    assert row is not None
    assert row[0] == "off"


async def stale_claim(db: Database) -> None:
    async with db.autocommit() as conn:
        await conn.execute(
            text(
                "UPDATE notifications SET status = 'sending', claim_token = gen_random_uuid(), "
                "lease_until = now() - interval '1 second'"
            )
        )


async def test_the_sweeper_runs_only_when_needed_and_once_per_interval(
    prefect_server: PrefectServer, db: Database, sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, sandbox)
    # One interval for the whole test (and one no earlier session used): a second runner's
    # sweep in it is a duplicate.
    sms = FAST.model_copy(update={"sweep_interval_s": 7200.0 + uuid.uuid4().int % 3600})
    deps = await RunnerContext.open(settings, sms)
    try:
        one, other = SmsRunner(deps), SmsRunner(deps)
        assert not await one.sweep_once(), "nothing to repair: no flow run"
        await create_orders(db, settings, await add_customers(db, 2))
        await stale_claim(db)
        assert await one.sweep_once()
        assert await statuses(db) == {"pending": 2}, "the dead claims were freed"
        await stale_claim(db)
        assert not await other.sweep_once(), "this interval was swept already"
        assert await statuses(db) == {"sending": 2}
    finally:
        await deps.aclose()


@pytest.fixture
def env_settings(
    monkeypatch: pytest.MonkeyPatch, database_url: str, sandbox: SandboxServer
) -> Iterator[None]:
    """The flows' own settings from the environment, as a deployment would give them."""
    for name, value in {
        "DUKA_DATABASE_URL": database_url,
        "DUKA_AT_USERNAME": sandbox.config.username,
        "DUKA_AT_API_KEY": sandbox.config.api_key,
        "DUKA_AT_BASE_URL": sandbox.base_url,
        "DUKA_SMS_UNKNOWN_LOOKUP": "sandbox_inbox",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_sms_settings.cache_clear()
    yield
    get_settings.cache_clear()
    get_sms_settings.cache_clear()


async def test_the_flows_run_on_their_own(
    prefect_server: PrefectServer,
    db: Database,
    sandbox: SandboxServer,
    database_url: str,
    env_settings: None,
) -> None:
    settings = settings_for(database_url, sandbox)
    customers = await add_customers(db, 3)
    await create_orders(db, settings, customers)

    summary = await dispatch_order_sms()

    assert summary["claimed"] == summary["sent"] == 3
    assert await statuses(db) == {"sent": 3}
    assert set(inbox_counts(sandbox).values()) == {1}
    assert (await sweep_order_sms())["recovered"] == 0
