"""Operator actions on an order's notification, next to the order they belong to."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, status

from api.auth.roles import require
from api.core.responses import problems
from api.deps import NotificationServiceDep, PrincipalDep
from duka.notifications.schemas import NotificationPublic

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post(
    "/{order_id}/notification/retry",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require("admin"))],
    responses=problems(401, 403, 404, 409, 422),
    summary="Send a failed order SMS again (admin)",
    description=(
        "Moves the order's notification from `failed` back to `pending`; the sender picks it "
        "up within moments. 409 `notification-not-failed` unless it is `failed`, 409 "
        "`recipient-suppressed` when its number is on the SMS suppression list. No request "
        "body."
    ),
)
async def retry_notification(
    order_id: uuid.UUID, service: NotificationServiceDep, principal: PrincipalDep
) -> NotificationPublic:
    return await service.retry(principal, order_id)
