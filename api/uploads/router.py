"""Bulk upload routes: customers and orders from CSV, a JSON array, or a file in a form."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status

from api.auth.roles import require
from api.core.responses import problems
from api.deps import IDEMPOTENCY_KEY_OPENAPI, PrincipalDep, UploadServiceDep, idempotency_key_of
from api.uploads import openapi
from api.uploads.media import body_upload, boundary_of
from api.uploads.multipart import open_multipart
from duka.customers.schemas import CustomerCreate
from duka.orders.schemas import OrderCreate
from duka.uploads.schemas import UploadResult
from duka.uploads.upload import Upload

router = APIRouter(prefix="/uploads", tags=["uploads"])


RESPONSES = problems(401, 403, 409, 413, 415, 422, 429)


async def _upload(request: Request) -> Upload:
    content_type = request.headers.get("content-type")
    boundary = boundary_of(content_type)
    if boundary is not None:
        return await open_multipart(request.stream(), boundary)
    return body_upload(content_type, request.stream())


def _answer(result: UploadResult, replayed: bool, response: Response) -> UploadResult:
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.post(
    "/customers",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require("customers:write"))],
    responses=RESPONSES,
    summary="Create customers in bulk (CSV, JSON array or file)",
    description=openapi.CUSTOMERS,
    openapi_extra=openapi.request_body(
        CustomerCreate, openapi.CUSTOMERS_CSV, openapi.CUSTOMERS_JSON
    )
    | IDEMPOTENCY_KEY_OPENAPI,
)
async def upload_customers(
    request: Request,
    service: UploadServiceDep,
    principal: PrincipalDep,
    response: Response,
) -> UploadResult:
    upload = await _upload(request)
    result, replayed = await service.customers(upload, principal, idempotency_key_of(request))
    return _answer(result, replayed, response)


@router.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require("orders:write"))],
    responses=RESPONSES,
    summary="Create orders in bulk, each with its pending SMS (CSV, JSON array or file)",
    description=openapi.ORDERS,
    openapi_extra=openapi.request_body(OrderCreate, openapi.ORDERS_CSV, openapi.ORDERS_JSON)
    | IDEMPOTENCY_KEY_OPENAPI,
)
async def upload_orders(
    request: Request,
    service: UploadServiceDep,
    principal: PrincipalDep,
    response: Response,
) -> UploadResult:
    upload = await _upload(request)
    result, replayed = await service.orders(upload, principal, idempotency_key_of(request))
    return _answer(result, replayed, response)
