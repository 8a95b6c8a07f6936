"""Operator actions on an order's notification, next to the order they belong to."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from api.auth.roles import require
from api.core.responses import problems
from api.deps import DatabaseDep, PrincipalDep
from duka.notifications.schemas import NotificationPublic
from duka.notifications.service import NotificationService

router = APIRouter(prefix="/orders", tags=["orders"])


async def get_notification_service(db: DatabaseDep) -> NotificationService:
    return NotificationService(db)


NotificationServiceDep = Annotated[NotificationService, Depends(get_notification_service)]


@router.post(
    "/{order_id}/notification/retry",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require("admin"))],
    responses=problems(401, 403, 404, 409, 422),
    summary="Send a failed order SMS again (admin)",
    description=(
        "Moves the order's notification from `failed` back to `pending`; the sender picks it "
        "up within moments. 409 unless it is `failed`. No request body."
    ),
)
async def retry_notification(
    order_id: uuid.UUID, service: NotificationServiceDep, principal: PrincipalDep
) -> NotificationPublic:
    return await service.retry(principal, order_id)
