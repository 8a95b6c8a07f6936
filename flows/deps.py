"""What the flows need at run time, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.core.settings import Settings, get_settings
from api.db.engine import Database, resolve_database_url
from api.sms.at_gateway import AfricasTalkingGateway
from api.sms.gateway import SmsGateway
from flows.attempts import BatchedAttempts
from flows.lookup import SentLookup, lookup_from_settings
from flows.outbox import Outbox
from flows.settings import SmsFlowSettings, get_sms_settings


@dataclass
class SenderDeps:
    settings: Settings
    sms: SmsFlowSettings
    db: Database
    database_url: str
    """libpq form, for the LISTEN connection."""
    outbox: Outbox
    gateway: SmsGateway
    lookup: SentLookup | None
    attempts: BatchedAttempts = field(init=False)
    """What the sends record their attempts in (group commits over `outbox`)."""

    def __post_init__(self) -> None:
        self.attempts = BatchedAttempts(self.outbox)

    @classmethod
    async def open(
        cls,
        settings: Settings | None = None,
        sms: SmsFlowSettings | None = None,
        *,
        gateway: SmsGateway | None = None,
        lookup: SentLookup | None = None,
    ) -> SenderDeps:
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
        return cls(settings, sms, db, url, Outbox(db), gateway, lookup)

    async def aclose(self) -> None:
        if self.lookup is not None:
            await self.lookup.aclose()
        await self.db.dispose()
