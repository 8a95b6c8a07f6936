"""The runner's context: every live object the flows need, built once per process.

`RunnerContext.open` is the composition root of the flows: `python -m flows` opens one
context and hands it to the runner, which passes it explicitly to every flow run it starts
(the runs execute in the runner's own event loop: see docs/architecture.md, "The SMS
runner and its flows"). A flow started on its own (`python -m flows send-pending`, or a
test calling the flow) opens one through the same function for the length of that run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from duka.core.settings import Settings, get_settings
from duka.db.engine import Database, resolve_database_url
from duka.notifications.outbox.store import Outbox
from duka.notifications.reconcile import SentLookup
from duka.notifications.sms.at_gateway import AfricasTalkingGateway
from duka.notifications.sms.gateway import SmsGateway
from flows.attempts import BatchedAttempts
from flows.lookup import lookup_from_settings
from flows.settings import SmsFlowSettings, get_sms_settings


class LiveObject:
    """Base of what the runner hands its flow runs as parameters: live objects.

    Prefect describes every flow's parameters with pydantic when the flow is defined; a
    live object is only checked to be an instance (its fields, such as the gateway port,
    have no schema), and Prefect shows it as "any" in its parameter schema.
    """

    __slots__ = ()

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.is_instance_schema(cls)


@dataclass(frozen=True, slots=True)
class RunnerContext(LiveObject):
    settings: Settings
    sms: SmsFlowSettings
    db: Database
    outbox: Outbox
    gateway: SmsGateway
    lookup: SentLookup | None
    attempts: BatchedAttempts
    """What the sends record their attempts in (group commits over `outbox`)."""

    @classmethod
    async def open(
        cls,
        settings: Settings | None = None,
        sms: SmsFlowSettings | None = None,
        *,
        gateway: SmsGateway | None = None,
        lookup: SentLookup | None = None,
    ) -> RunnerContext:
        """Build the context from the settings (the environment's when not given); the
        caller owns it and calls `aclose`."""
        settings = settings or get_settings()
        sms = sms or get_sms_settings()
        if gateway is None:
            if settings.at_api_key is None:
                raise ValueError("SMS sending is disabled: set DUKA_AT_API_KEY (and the rest).")
            gateway = AfricasTalkingGateway.from_settings(settings)
        if lookup is None:
            lookup = lookup_from_settings(settings, sms)
        url = await resolve_database_url(settings)
        # Every task run in progress may touch the database at once: a pool smaller than
        # that opens and closes a connection per statement (overflow churn).
        pool = max(settings.db_pool_size, min(sms.concurrency, 50))
        db = Database(url, settings.model_copy(update={"db_pool_size": pool}))
        outbox = Outbox(db)
        return cls(settings, sms, db, outbox, gateway, lookup, BatchedAttempts(outbox))

    async def aclose(self) -> None:
        if self.lookup is not None:
            await self.lookup.aclose()
        await self.db.dispose()
