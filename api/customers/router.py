from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from api.auth.roles import require
from api.core.responses import problems
from api.deps import (
    IDEMPOTENCY_KEY_OPENAPI,
    CustomerServiceDep,
    PrincipalDep,
    idempotency_key_of,
)
from duka.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from duka.core.types import CODE_PATTERN, SearchText
from duka.customers.schemas import CustomerCreate, CustomerPage, CustomerPublic, CustomerUpdate

router = APIRouter(prefix="/customers", tags=["customers"])

READ = [Depends(require("customers:read"))]
WRITE = [Depends(require("customers:write"))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=WRITE,
    responses=problems(401, 403, 409, 413, 415, 422),
    summary="Create a customer",
    openapi_extra=IDEMPOTENCY_KEY_OPENAPI,
)
async def create_customer(
    body: CustomerCreate,
    service: CustomerServiceDep,
    principal: PrincipalDep,
    request: Request,
    response: Response,
) -> CustomerPublic:
    customer, replayed = await service.create(body, principal, idempotency_key_of(request))
    response.headers["Location"] = f"/api/v1/customers/{customer.id}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return customer


@router.get("", dependencies=READ, responses=problems(401, 403, 422), summary="List customers")
async def list_customers(
    service: CustomerServiceDep,
    principal: PrincipalDep,
    code: Annotated[
        str | None,
        Query(max_length=32, pattern=CODE_PATTERN, description="Exact code, any case."),
    ] = None,
    q: Annotated[
        SearchText | None,
        Query(min_length=1, max_length=100, description="Name contains (any case)."),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=512, description="From `next_cursor`.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> CustomerPage:
    return await service.list(principal, code=code, q=q, cursor=cursor, limit=limit)


@router.get(
    "/by-code/{code}",
    dependencies=READ,
    responses=problems(401, 403, 404, 422),
    summary="Get a customer by code",
)
async def get_customer_by_code(
    code: Annotated[str, Path(max_length=32, pattern=CODE_PATTERN)],
    service: CustomerServiceDep,
    principal: PrincipalDep,
) -> CustomerPublic:
    return await service.get_by_code(principal, code)


@router.get(
    "/{customer_id}",
    dependencies=READ,
    responses=problems(401, 403, 404, 422),
    summary="Get a customer",
)
async def get_customer(
    customer_id: uuid.UUID, service: CustomerServiceDep, principal: PrincipalDep
) -> CustomerPublic:
    return await service.get(principal, customer_id)


@router.patch(
    "/{customer_id}",
    dependencies=WRITE,
    responses=problems(401, 403, 404, 409, 415, 422),
    summary="Update a customer (only the fields given)",
)
async def update_customer(
    customer_id: uuid.UUID,
    body: CustomerUpdate,
    service: CustomerServiceDep,
    principal: PrincipalDep,
) -> CustomerPublic:
    return await service.update(principal, customer_id, body)


@router.delete(
    "/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=WRITE,
    responses=problems(401, 403, 404, 409, 422),
    summary="Delete a customer (refused while it has orders)",
)
async def delete_customer(
    customer_id: uuid.UUID, service: CustomerServiceDep, principal: PrincipalDep
) -> Response:
    await service.delete(principal, customer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
