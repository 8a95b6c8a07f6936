"""Callback routes. They sit outside the bearer-token protected routers: their caller is
Africa's Talking, which proves itself with the callback secret (api/webhooks/auth.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path

from api.core.responses import problems
from api.deps import ReportServiceDep
from api.webhooks.auth import callback_secret
from duka.webhooks.schemas import DeliveryReportIn, DeliveryReportResult

router = APIRouter(prefix="/webhooks/africastalking", tags=["webhooks"])
PREFIX = "/webhooks"
# The path segment after this one is the callback secret: redacted wherever paths show.
REDACTED_SEGMENT_AFTER = "/webhooks/africastalking/delivery/"

AUTHENTICATED = [Depends(callback_secret)]
DESCRIPTION = (
    "Africa's Talking delivery report (form-encoded). Idempotent: a replayed report changes "
    "nothing. Authenticated by DUKA_AT_CALLBACK_SECRET as the password of HTTP basic auth, "
    "or (second route) as the URL's last segment; not by bearer tokens."
)


ReportForm = Annotated[DeliveryReportIn, Form()]


@router.post(
    "/delivery",
    dependencies=AUTHENTICATED,
    responses=problems(401, 404, 422),
    summary="Receive a delivery report (HTTP basic auth)",
    description=DESCRIPTION,
)
async def delivery_report(report: ReportForm, service: ReportServiceDep) -> DeliveryReportResult:
    return DeliveryReportResult(result=await service.apply(report))


@router.post(
    "/delivery/{secret}",
    dependencies=AUTHENTICATED,
    responses=problems(401, 404, 422),
    summary="Receive a delivery report (secret in the URL)",
    description=DESCRIPTION,
)
async def delivery_report_secret_path(
    report: ReportForm,
    service: ReportServiceDep,
    secret: Annotated[str, Path(min_length=1, max_length=256)],
) -> DeliveryReportResult:
    return DeliveryReportResult(result=await service.apply(report))
