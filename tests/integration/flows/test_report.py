"""The SMS report: counted from the outbox over one period, published as a markdown
artifact on the real Prefect server, once per period across runners."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from sqlalchemy import text

from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.db.engine import Database
from flows.context import RunnerContext
from flows.report import ARTIFACT_KEY, period_of
from flows.runner import SmsRunner
from tests.support.outbox_rows import pending_notifications
from tests.support.sms_flows import FAST, settings_for

pytestmark = pytest.mark.anyio


async def set_rows(
    db: Database, rows: list[tuple[str, datetime | None, datetime, str | None]]
) -> None:
    """One pending notification per (status, sent_at, updated_at, last_error)."""
    ids = await pending_notifications(db, len(rows))
    async with db.begin() as conn:
        for notification_id, (status, sent_at, updated_at, error) in zip(ids, rows, strict=True):
            await conn.execute(
                text(
                    "UPDATE notifications SET status = :status, sent_at = :sent, "
                    "updated_at = :updated, last_error = :error WHERE id = :id"
                ),
                {
                    "status": status,
                    "sent": sent_at,
                    "updated": updated_at,
                    "error": error,
                    "id": notification_id,
                },
            )


async def newest_report() -> Any:
    async with get_client() as client:
        (artifact,) = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[ARTIFACT_KEY])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    return artifact


async def test_the_report_counts_its_period_into_a_markdown_artifact(
    prefect_server: PrefectServer, db: Database, sandbox: SandboxServer, database_url: str
) -> None:
    # A period no earlier session used (the report run's key names it).
    interval = 7200.0 + uuid.uuid4().int % 3600
    now = datetime.now(UTC)
    since, until = period_of(now, interval)
    in_period = since + (until - since) / 2
    before, after = since - timedelta(minutes=1), until + timedelta(seconds=1)
    blocked = "needs an operator: UserInBlacklist: blocked by the recipient"
    await set_rows(
        db,
        [
            ("delivered", in_period, in_period, None),
            ("sent", in_period, in_period, None),
            # Sent in the period, failed by its report in the same period: both counted.
            ("failed", in_period, in_period, "not delivered: Failed (UserInBlackList)"),
            ("failed", None, in_period, "InvalidPhoneNumber: not an E.164 number"),
            ("failed", None, in_period, "InvalidPhoneNumber: not an E.164 number"),
            ("failed", None, in_period, blocked),
            # Sent in the period, delivered after it: counted as sent, with its cost.
            ("delivered", in_period, after, None),
            # Outside the period: not counted (the first delivered within it).
            ("delivered", before, in_period, None),
            ("delivered", before, before, None),
            ("sent", after, after, None),
            ("failed", None, before, "InvalidPhoneNumber: old"),
            ("pending", None, in_period, None),
            ("suppressed", None, in_period, None),
        ],
    )
    async with db.begin() as conn:
        # What AT billed: every accepted send cost KES 0.80; only the period's 4 count.
        await conn.execute(
            text(
                "UPDATE notifications SET cost_amount = 0.8, cost_currency = 'KES' "
                "WHERE sent_at IS NOT NULL"
            )
        )
    settings = settings_for(database_url, sandbox)
    sms = FAST.model_copy(update={"report_interval_s": interval})
    ctx = await RunnerContext.open(settings, sms)
    try:
        assert await SmsRunner(ctx).report_once(now)
    finally:
        await ctx.aclose()

    artifact = await newest_report()
    assert artifact.key == ARTIFACT_KEY
    assert artifact.type == "markdown"
    assert f"{since:%Y-%m-%d %H:%M} UTC to {until:%Y-%m-%d %H:%M} UTC" in artifact.description
    markdown = artifact.data
    assert "| sent | failed | suppressed |" in markdown
    assert "| 4 | 4 | 1 |" in markdown
    assert "| InvalidPhoneNumber | 2 |" in markdown
    assert "| not delivered: Failed | 1 |" in markdown
    assert "| UserInBlacklist | 1 |" in markdown
    assert "| KES | 3.2000 |" in markdown.split("## Cost by currency")[1]


async def test_runners_report_each_period_once(
    prefect_server: PrefectServer, db: Database, sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, sandbox)
    # A period no earlier session used: its report run is this test's alone.
    interval = 7200.0 + uuid.uuid4().int % 3600
    ctx = await RunnerContext.open(
        settings, FAST.model_copy(update={"report_interval_s": interval})
    )
    try:
        one, other = SmsRunner(ctx), SmsRunner(ctx)
        now = datetime.now(UTC)
        assert await one.report_once(now)
        assert not await one.report_once(now), "this runner reported the period already"
        assert not await other.report_once(now), "another runner reported the period already"
        assert one.reports == 1
        assert other.reports == 0
    finally:
        await ctx.aclose()


def test_periods_end_on_multiples_of_the_interval() -> None:
    since, until = period_of(datetime(2026, 12, 5, 6, 59, 59, tzinfo=UTC), 3600)
    assert (since, until) == (
        datetime(2026, 12, 5, 5, 0, tzinfo=UTC),
        datetime(2026, 12, 5, 6, 0, tzinfo=UTC),
    )
    assert period_of(datetime(2026, 12, 5, 6, 0, tzinfo=UTC), 3600)[1] == until
