"""Callback routes: delivery reports and opt-outs. They sit outside the bearer-token
protected routers: their caller is Africa's Talking, which proves itself with the callback
secret (api/webhooks/auth.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path

from api.core.responses import problems
from api.deps import ReportServiceDep, SuppressionServiceDep
from api.webhooks.auth import callback_secret
from duka.notifications.suppressions.schemas import OptOutIn, OptOutResult
from duka.webhooks.schemas import DeliveryReportIn, DeliveryReportResult

router = APIRouter(prefix="/webhooks/africastalking", tags=["webhooks"])
PREFIX = "/webhooks"
# The path segment after these is the callback secret: redacted wherever paths show.
REDACTED_SEGMENT_AFTER = "/webhooks/africastalking/delivery/"
REDACTED_OPT_OUT_SEGMENT_AFTER = "/webhooks/africastalking/opt-out/"

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


OPT_OUT_DESCRIPTION = (
    "Africa's Talking Bulk SMS opt-out notification (form-encoded: `phoneNumber`, "
    "`senderId`): the number goes on the SMS suppression list, and its later orders are "
    "stored with notification status `suppressed`, never sent. Idempotent: a repeated "
    "opt-out answers `already`. Authenticated like the delivery report: "
    "DUKA_AT_CALLBACK_SECRET as the password of HTTP basic auth, or (second route) as the "
    "URL's last segment."
)
OptOutForm = Annotated[OptOutIn, Form()]


async def _opt_out(opt_out: OptOutIn, service: SuppressionServiceDep) -> OptOutResult:
    added = await service.opt_out(opt_out)
    return OptOutResult(result="suppressed" if added else "already")


@router.post(
    "/opt-out",
    dependencies=AUTHENTICATED,
    responses=problems(401, 404, 422),
    summary="Receive an SMS opt-out (HTTP basic auth)",
    description=OPT_OUT_DESCRIPTION,
)
async def opt_out(opt_out: OptOutForm, service: SuppressionServiceDep) -> OptOutResult:
    return await _opt_out(opt_out, service)


@router.post(
    "/opt-out/{secret}",
    dependencies=AUTHENTICATED,
    responses=problems(401, 404, 422),
    summary="Receive an SMS opt-out (secret in the URL)",
    description=OPT_OUT_DESCRIPTION,
)
async def opt_out_secret_path(
    opt_out: OptOutForm,
    service: SuppressionServiceDep,
    secret: Annotated[str, Path(min_length=1, max_length=256)],
) -> OptOutResult:
    return await _opt_out(opt_out, service)
