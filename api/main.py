"""The API process's composition root: settings, database, middleware, routers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from api.core import problems
from api.core.middleware import (
    BodyLimitMiddleware,
    JsonContentTypeMiddleware,
    SecurityHeadersMiddleware,
)
from api.core.openapi_statuses import document_gate_statuses
from api.core.request_context import RequestContextMiddleware
from api.customers.router import router as customers_router
from api.docs_ui import router as docs_ui
from api.graphiql import router as graphiql_page
from api.graphql import endpoint as graphql_endpoint
from api.health.router import migration_head
from api.health.router import router as health_router
from api.notifications.router import router as notifications_router
from api.orders.router import router as orders_router
from api.suppressions.router import router as suppressions_router
from api.uploads.router import router as uploads_router
from api.webhooks.router import PREFIX as WEBHOOKS_PREFIX
from api.webhooks.router import REDACTED_OPT_OUT_SEGMENT_AFTER, REDACTED_SEGMENT_AFTER
from api.webhooks.router import router as webhooks_router
from duka.core import redaction
from duka.core.settings import Settings, get_settings
from duka.db.engine import Database, resolve_database_url
from duka.limits.service import RateLimiter
from duka.notifications.changes import Connect, NotificationChanges
from duka.notifications.template import check_template_length
from duka.notifications.wakeup import SenderWakeups, notify_sender
from duka.orders.customer_snapshots import CustomerSnapshots
from duka.orders.group_commit import order_groups

API_PREFIX = "/api/v1"
UPLOAD_PREFIX = f"{API_PREFIX}/uploads"
WEBHOOK_PREFIX = f"{API_PREFIX}{WEBHOOKS_PREFIX}"

DESCRIPTION = """
Customers and orders for businesses that reach their customers by SMS.

Every error is an RFC 9457 `application/problem+json` document; validation problems list
each field at fault in `errors`. POST routes accept an `Idempotency-Key` header.
"""


class DukaAPI(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's server-error middleware too, so that a 500 carries the headers.
        app: ASGIApp = SecurityHeadersMiddleware(super().build_middleware_stack())
        # Around everything but the metrics: every answer carries the request id (the
        # gates' 413/415 and the 500s too), and every log line of the request has it.
        app = RequestContextMiddleware(app)
        if self.state.settings.metrics_enabled:
            # Outermost: it sees every answer, the gates' 413/415 and the 500s included.
            from api.core.metrics import RequestMetricsMiddleware

            app = RequestMetricsMiddleware(app)
        return app


def _start_pool_sampler(app: FastAPI, settings: Settings) -> asyncio.Task[None] | None:
    if not settings.metrics_enabled:
        return None
    from api.core.metrics import sample_pool_forever

    return asyncio.get_running_loop().create_task(
        sample_pool_forever(lambda: app.state.db, settings.metrics_pool_sample_s)
    )


def _listen_connect(db: Database) -> Connect:
    """Connections for the subscriptions' LISTEN (one per worker, opened on first use)."""

    async def connect() -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(
            db.libpq_url, autocommit=True, application_name="duka-graphql-changes"
        )

    return connect


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.require_production_settings(database=True, oidc=True)
    # Logged once per process: each segment of every order SMS is billed.
    check_template_length(settings.sms_template, settings.zone)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "db", None) is None:
            app.state.db = Database(await resolve_database_url(settings), settings)
        migration_head(app.state)
        app.state.notification_changes = NotificationChanges(_listen_connect(app.state.db))
        sampler = _start_pool_sampler(app, settings)
        try:
            yield
        finally:
            if sampler is not None:
                sampler.cancel()
            await app.state.notification_changes.aclose()
            if app.state.order_groups is not None:
                await app.state.order_groups.aclose()
            await app.state.sender_wakeups.aclose()
            await app.state.db.dispose()

    app = DukaAPI(
        title="Duka API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.db = None
    app.state.notification_changes = None  # made by the lifespan, with the database
    app.state.settings = settings
    app.state.customer_snapshots = CustomerSnapshots()
    # Leases of rate-limit tokens, shared by the worker's requests (duka/limits/service.py).
    app.state.rate_limiter = RateLimiter(settings)

    async def notify() -> None:
        await notify_sender(app.state.db)

    app.state.sender_wakeups = SenderWakeups(notify)
    # The worker's group commit of POST /orders, shared by its requests (or None: off).
    app.state.order_groups = (
        order_groups(lambda: app.state.db, settings.order_group_max)
        if settings.order_group_commit
        else None
    )
    problems.install(app)
    # The callback secret may be a path segment: no log line or problem document shows it.
    redaction.register_secret_segment(f"{API_PREFIX}{REDACTED_SEGMENT_AFTER}")
    redaction.register_secret_segment(f"{API_PREFIX}{REDACTED_OPT_OUT_SEGMENT_AFTER}")
    redaction.install_log_filter()

    # Each domain router straight under /api/v1: FastAPI matches included routers level by
    # level on every request, so one level is cheaper than a /api/v1 router of routers.
    # Orders first: POST /orders is the hottest route. The webhook callbacks authenticate
    # with their own secret, never with bearer tokens.
    for router in (
        orders_router,
        customers_router,
        uploads_router,
        notifications_router,
        suppressions_router,
        webhooks_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health_router)
    docs_ui.mount(app, settings)
    # GraphQL beside REST, over the same services (docs/graphql.md); GraphiQL's page takes
    # GET /graphql, so it is mounted first.
    if settings.graphql_ide_enabled:
        graphiql_page.mount(app, settings)
    graphql_endpoint.mount(app, settings)

    # Security headers wrap everything (see DukaAPI); then CORS, size and media-type gates.
    json_exempt = [UPLOAD_PREFIX, WEBHOOK_PREFIX]
    app.add_middleware(JsonContentTypeMiddleware, exempt_prefixes=json_exempt)
    document_gate_statuses(app, prefix=API_PREFIX, json_exempt=json_exempt)
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.max_body_bytes,
        upload_limit=settings.max_upload_bytes,
        upload_prefixes=[UPLOAD_PREFIX],
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "X-Request-ID",
                "traceparent",
            ],
            expose_headers=["Location", "Idempotent-Replayed", "X-Request-ID"],
            max_age=600,
        )
    return app
