"""Upload use cases: read and validate every row, then store all of them in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from duka.auth.principal import Principal
from duka.core.settings import Settings
from duka.db.engine import Database, driver_of
from duka.idempotency.service import run_once
from duka.limits.service import RateLimiter
from duka.uploads.copy import allow_bulk_statements
from duka.uploads.customer_rows import CustomerRows
from duka.uploads.customer_store import store_customers
from duka.uploads.exceptions import RowErrors
from duka.uploads.order_rows import OrderRows
from duka.uploads.order_store import store_orders
from duka.uploads.reading import read_upload
from duka.uploads.schemas import UploadFingerprint, UploadKind, UploadResult
from duka.uploads.upload import Upload

log = logging.getLogger(__name__)

Action = Callable[[AsyncConnection], Awaitable[UploadResult]]


class UploadService:
    def __init__(
        self, db: Database, settings: Settings, limiter: RateLimiter | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.limiter = limiter if limiter is not None else RateLimiter(settings)

    async def _admit(self, principal: Principal) -> int:
        """Spend an upload token before the body is read; the most rows it may hold."""
        await self.limiter.upload(self.db, principal)
        return self.limiter.policy(principal).max_upload_rows

    async def customers(
        self, upload: Upload, principal: Principal, idempotency_key: str | None
    ) -> tuple[UploadResult, bool]:
        max_rows = await self._admit(principal)
        rows = CustomerRows(self.settings)
        errors = RowErrors()
        digest = await read_upload(upload, rows, errors, max_rows)

        async def action(conn: AsyncConnection) -> UploadResult:
            created = await store_customers(conn, rows, errors)
            return UploadResult(kind="customers", created=created)

        return await self._run("customers", upload, digest, principal, idempotency_key, action)

    async def orders(
        self, upload: Upload, principal: Principal, idempotency_key: str | None
    ) -> tuple[UploadResult, bool]:
        # Rows without ordered_at share the upload's start time, as they share its request.
        max_rows = await self._admit(principal)
        rows = OrderRows(self.settings, now=datetime.now(UTC))
        errors = RowErrors()
        digest = await read_upload(upload, rows, errors, max_rows)

        async def action(conn: AsyncConnection) -> UploadResult:
            created = await store_orders(conn, rows, errors, principal, self.settings)
            # Last, in the same transaction: the bucket's row is locked only until the
            # commit, and a refused or failed upload gives its tokens back with its rows.
            await self.limiter.order_rows(await driver_of(conn), principal, created)
            return UploadResult(kind="orders", created=created)

        result, replayed = await self._run(
            "orders", upload, digest, principal, idempotency_key, action
        )
        # The orders' SMS carry this request's traceparent: its trace id ties them to it.
        log.info("order upload %s: %d orders", "replayed" if replayed else "stored", result.created)
        return result, replayed

    async def _run(
        self,
        kind: UploadKind,
        upload: Upload,
        digest: str,
        principal: Principal,
        idempotency_key: str | None,
        action: Action,
    ) -> tuple[UploadResult, bool]:
        """One transaction for the checks against stored data and every insert."""

        async def bulk(conn: AsyncConnection) -> UploadResult:
            await allow_bulk_statements(
                conn,
                self.settings.db_statement_timeout_ms,
                self.settings.db_upload_statement_timeout_ms,
            )
            return await action(conn)

        if idempotency_key is None:
            async with self.db.begin() as conn:
                return await bulk(conn), False
        fingerprint = UploadFingerprint(kind=kind, format=upload.format, sha256=digest)
        return await run_once(
            self.db,
            principal,
            f"uploads.{kind}",
            idempotency_key,
            fingerprint,
            UploadResult,
            bulk,
        )
