"""Prefect history retention on the session's real Prefect server: the runner's retention
pass deletes only Duka's abandoned runs older than the setting, and Prefect's own vacuum, as
devtools/prefect_server.py configures it, deletes only finished runs older than its period.

The runs are made through Prefect's API; their age is set in Prefect's database (a test
cannot wait 14 days).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import psycopg
import pytest
from prefect import get_client, task
from prefect.client.schemas.objects import State
from prefect.exceptions import ObjectNotFound
from prefect.states import Completed, Pending, Running

from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import RETENTION_DAYS, PrefectServer
from flows.context import RunnerContext
from flows.prefect_api import create_flow_run_once
from flows.runner import SmsRunner
from flows.sweep import sweep_order_sms
from tests.support.sms_flows import FAST, running_runner, settings_for, wait_until

pytestmark = pytest.mark.anyio

RUN_RETENTION_DAYS = 10.0


@task(name="send-order-sms")
def _placeholder() -> None:
    """Only its name and key shape the task runs made here."""


async def make_run(state: State[object], tags: list[str], *, with_task: bool = True) -> uuid.UUID:
    """A flow run of Duka's sweep flow in `state`, with one task run when `with_task`."""
    created = await create_flow_run_once(
        sweep_order_sms,
        name="sms-retention-test",
        parameters={},
        tags=tags,
        idempotency_key=f"retention-test:{uuid.uuid4()}",
    )
    run_id = created.flow_run.id
    async with get_client() as client:
        await client.set_flow_run_state(run_id, state, force=True)
        if with_task:
            await client.create_task_run(
                _placeholder, run_id, dynamic_key="0", name="sms-ORD-RETAIN00"
            )
    return run_id


def age(prefect: PrefectServer, run_id: uuid.UUID, days: float, column: str) -> None:
    """Move the run's `column` (and its creation) `days` into the past."""
    assert column in ("expected_start_time", "end_time")
    with psycopg.connect(prefect.database_url, autocommit=True) as conn:
        conn.execute(
            f"UPDATE flow_run SET {column} = now() - make_interval(secs => %s), "
            "created = now() - make_interval(secs => %s) WHERE id = %s",
            (days * 86400, days * 86400, run_id),
        )


async def exists(run_id: uuid.UUID) -> bool:
    async with get_client() as client:
        try:
            await client.read_flow_run(run_id)
        except ObjectNotFound:
            return False
        return True


async def task_runs_of(run_id: uuid.UUID) -> int:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        runs = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
        )
    return len(runs)


async def test_the_retention_pass_deletes_only_duka_runs_abandoned_before_the_setting(
    prefect_server: PrefectServer, sandbox: SandboxServer, database_url: str
) -> None:
    old = RUN_RETENTION_DAYS + 0.5
    young = RUN_RETENTION_DAYS - 0.5
    abandoned_old = await make_run(Running(), ["sms", "dispatch"])
    pending_old = await make_run(Pending(), ["sms", "sweep"], with_task=False)
    abandoned_young = await make_run(Running(), ["sms", "dispatch"])
    finished_old = await make_run(Completed(), ["sms", "dispatch"])
    foreign_old = await make_run(Running(), ["not-duka"])
    for run_id in (abandoned_old, pending_old, finished_old, foreign_old):
        age(prefect_server, run_id, old, "expected_start_time")
    age(prefect_server, abandoned_young, young, "expected_start_time")
    assert await task_runs_of(abandoned_old) == 1

    # A fresh interval (no earlier session used it): this runner's pass is the first.
    sms = FAST.model_copy(
        update={
            "run_retention_days": RUN_RETENTION_DAYS,
            "retention_interval_s": 7200.0 + uuid.uuid4().int % 3600,
        }
    )
    ctx = await RunnerContext.open(settings_for(database_url, sandbox), sms)
    try:
        one, other = SmsRunner(ctx), SmsRunner(ctx)
        assert await one.prune_once()
        assert not await other.prune_once(), "one pass per interval across runners"
    finally:
        await ctx.aclose()

    assert not await exists(abandoned_old)
    assert not await exists(pending_old)
    assert await task_runs_of(abandoned_old) == 0, "its task runs went with it"
    assert await exists(abandoned_young), "younger than the setting"
    assert await exists(finished_old), "finished runs are Prefect's vacuum's"
    assert await exists(foreign_old), "not Duka's"
    assert await task_runs_of(abandoned_young) == 1


async def test_a_running_runner_prunes_once_per_interval(
    prefect_server: PrefectServer, sandbox: SandboxServer, database_url: str
) -> None:
    abandoned = await make_run(Running(), ["sms", "dispatch"], with_task=False)
    age(prefect_server, abandoned, RUN_RETENTION_DAYS + 1, "expected_start_time")
    sms = FAST.model_copy(
        update={
            "run_retention_days": RUN_RETENTION_DAYS,
            "retention_interval_s": 7200.0 + uuid.uuid4().int % 3600,
        }
    )
    async with running_runner(settings_for(database_url, sandbox), sms) as runner:

        async def pruned() -> bool:
            return runner.prunes == 1

        await wait_until(pruned, 60, "the runner's first retention pass")
    assert not await exists(abandoned)


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.5)
    return False


async def test_prefect_vacuum_deletes_only_finished_runs_older_than_its_period(
    prefect_server: PrefectServer,
) -> None:
    ended_old = await make_run(Completed(), ["sms", "dispatch"])
    ended_young = await make_run(Completed(), ["sms", "dispatch"])
    running_old = await make_run(Running(), ["not-duka"])
    age(prefect_server, ended_old, RETENTION_DAYS + 0.5, "end_time")
    age(prefect_server, ended_young, RETENTION_DAYS - 0.5, "end_time")
    age(prefect_server, running_old, RETENTION_DAYS + 0.5, "expected_start_time")

    async def gone() -> bool:
        return not await exists(ended_old)

    # The session's server runs the vacuum every VACUUM_LOOP_S (tests/support/prefect.py).
    assert await eventually(gone, 60), "the vacuum did not delete the old finished run"
    assert await task_runs_of(ended_old) == 0
    assert await exists(ended_young)
    assert await exists(running_old)
    assert await task_runs_of(ended_young) == 1
