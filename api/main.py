"""The API process's composition root: settings, database, middleware, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from api.core import problems
from api.core.middleware import (
    BodyLimitMiddleware,
    JsonContentTypeMiddleware,
    SecurityHeadersMiddleware,
)
from api.core.settings import Settings, get_settings
from api.customers.router import router as customers_router
from api.db.engine import Database, resolve_database_url
from api.docs_ui import router as docs_ui
from api.health.router import router as health_router
from api.notifications.router import router as notifications_router
from api.orders.router import router as orders_router
from api.uploads.router import router as uploads_router
from api.webhooks.router import PREFIX as WEBHOOKS_PREFIX
from api.webhooks.router import router as webhooks_router

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
        return SecurityHeadersMiddleware(super().build_middleware_stack())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "db", None) is None:
            app.state.db = Database(await resolve_database_url(settings), settings)
        try:
            yield
        finally:
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
    app.state.settings = settings
    problems.install(app)

    v1 = APIRouter(prefix=API_PREFIX)
    v1.include_router(customers_router)
    v1.include_router(orders_router)
    v1.include_router(uploads_router)
    v1.include_router(notifications_router)
    app.include_router(v1)
    # Not in `v1`: callbacks authenticate with their own secret, never with bearer tokens.
    app.include_router(webhooks_router, prefix=API_PREFIX)
    app.include_router(health_router)
    docs_ui.mount(app, settings)

    # Security headers wrap everything (see DukaAPI); then CORS, size and media-type gates.
    app.add_middleware(JsonContentTypeMiddleware, exempt_prefixes=[UPLOAD_PREFIX, WEBHOOK_PREFIX])
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
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["Location", "Idempotent-Replayed"],
            max_age=600,
        )
    return app
