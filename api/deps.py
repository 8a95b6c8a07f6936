"""Annotated dependency aliases: the one place routes get their collaborators from."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from api.auth.principal import get_principal
from duka.auth.principal import Principal
from duka.core.settings import Settings
from duka.customers.service import CustomerService
from duka.db.engine import Database
from duka.notifications.service import NotificationService
from duka.notifications.suppressions.service import SuppressionService
from duka.orders.service import OrderService
from duka.uploads.service import UploadService
from duka.webhooks.service import DeliveryReportService


# Async on purpose: a plain `def` dependency costs a thread-pool round trip per request.
async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def app_settings(request: Request) -> Settings:
    """The settings the running application was built with (`create_app` stores them).

    Routes depend on this rather than on an override of `get_settings`: any entry in
    `dependency_overrides` makes FastAPI re-analyse dependencies on every request.
    """
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_customer_service(db: DatabaseDep, settings: SettingsDep) -> CustomerService:
    return CustomerService(db, settings)


async def get_order_service(request: Request) -> OrderService:
    # Straight from the application's state: POST /orders is the hottest route, and each
    # sub-dependency costs FastAPI a resolution step per request.
    state = request.app.state
    return OrderService(
        state.db,
        state.settings,
        state.customer_snapshots,
        state.sender_wakeups,
        state.rate_limiter,
        state.order_groups,
    )


async def get_notification_service(db: DatabaseDep) -> NotificationService:
    return NotificationService(db)


async def get_upload_service(
    request: Request, db: DatabaseDep, settings: SettingsDep
) -> UploadService:
    return UploadService(db, settings, request.app.state.rate_limiter)


async def get_report_service(db: DatabaseDep) -> DeliveryReportService:
    return DeliveryReportService(db)


async def get_suppression_service(db: DatabaseDep) -> SuppressionService:
    return SuppressionService(db)


CustomerServiceDep = Annotated[CustomerService, Depends(get_customer_service)]
OrderServiceDep = Annotated[OrderService, Depends(get_order_service)]
NotificationServiceDep = Annotated[NotificationService, Depends(get_notification_service)]
UploadServiceDep = Annotated[UploadService, Depends(get_upload_service)]
ReportServiceDep = Annotated[DeliveryReportService, Depends(get_report_service)]
SuppressionServiceDep = Annotated[SuppressionService, Depends(get_suppression_service)]

IDEMPOTENCY_KEY_DESCRIPTION = (
    "Optional. A retried request with the same key (and the same body) returns the "
    "first response and creates nothing new; a different body is refused with 422."
)
IDEMPOTENCY_KEY_EXAMPLE = "3f1c0a2e-8b1d-4c59-9a37-5b0d2f1e7a10"

# The one way routes take the Idempotency-Key header: documented through `openapi_extra`
# and read by `idempotency_key_of`. Not a declared `Header` parameter: on the hottest route
# (POST /orders) that costs FastAPI more per request than the rest of the route's parameter
# handling together, and every POST route reads the header the same way.
IDEMPOTENCY_KEY_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": IDEMPOTENCY_KEY_DESCRIPTION,
            "schema": {"type": "string", "title": "Idempotency-Key"},
            "example": IDEMPOTENCY_KEY_EXAMPLE,
        }
    ]
}


def idempotency_key_of(request: Request) -> str | None:
    """The request's Idempotency-Key header, or None without one (the first if repeated)."""
    return request.headers.get("idempotency-key")
