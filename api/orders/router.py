from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import AwareDatetime

from api.auth.roles import require
from api.core.responses import model_response, problems
from api.deps import (
    IDEMPOTENCY_KEY_OPENAPI,
    OrderServiceDep,
    PrincipalDep,
    idempotency_key_of,
)
from duka.auth.principal import Principal
from duka.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from duka.core.types import CODE_PATTERN
from duka.orders.schemas import (
    VIEW_DESCRIPTION,
    OrderCreate,
    OrderCustomerPage,
    OrderCustomerView,
    OrderPage,
    OrderPublic,
    order_view,
    page_view,
)

router = APIRouter(prefix="/orders", tags=["orders"])

READ = [Depends(require("orders:read"))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderPublic | OrderCustomerView,
    response_description=VIEW_DESCRIPTION,
    responses=problems(401, 403, 409, 413, 415, 422, 429),
    summary="Create an order (and queue its SMS)",
    openapi_extra=IDEMPOTENCY_KEY_OPENAPI,
    description=(
        "Stores the order and, in the same database statement, its SMS outbox row "
        "(`notification.status` starts as `pending`). Name the customer by `customer_id` "
        "or by `customer_code`. 409 if the customer is being changed at that moment (retry). "
        "429 over the caller's order rate or daily quota (DUKA_LIMIT_ORDERS_*), with "
        "`Retry-After`."
    ),
)
async def create_order(
    request: Request,
    body: OrderCreate,
    service: OrderServiceDep,
    # The role check hands over the principal: one dependency fewer on the hottest route.
    principal: Annotated[Principal, Depends(require("orders:write"))],
) -> Response:
    order, replayed = await service.create(body, principal, idempotency_key_of(request))
    headers = {"Location": f"/api/v1/orders/{order.id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    view = order_view(order, principal.customer_code is not None)
    return model_response(view, status.HTTP_201_CREATED, headers)


@router.get(
    "",
    dependencies=READ,
    responses=problems(401, 403, 422),
    summary="List orders",
    response_description=VIEW_DESCRIPTION,
)
async def list_orders(
    service: OrderServiceDep,
    principal: PrincipalDep,
    customer_id: uuid.UUID | None = None,
    customer_code: Annotated[str | None, Query(max_length=32, pattern=CODE_PATTERN)] = None,
    ordered_from: Annotated[
        AwareDatetime | None, Query(description="Inclusive lower bound, with offset.")
    ] = None,
    ordered_to: Annotated[
        AwareDatetime | None, Query(description="Exclusive upper bound, with offset.")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> OrderPage | OrderCustomerPage:
    page = await service.list(
        principal,
        customer_id=customer_id,
        customer_code=customer_code,
        ordered_from=ordered_from,
        ordered_to=ordered_to,
        cursor=cursor,
        limit=limit,
    )
    return page_view(page, principal.customer_code is not None)


@router.get(
    "/{order_id}",
    dependencies=READ,
    responses=problems(401, 403, 404, 422),
    summary="Get an order with its notification status",
    response_description=VIEW_DESCRIPTION,
)
async def get_order(
    order_id: uuid.UUID, service: OrderServiceDep, principal: PrincipalDep
) -> OrderPublic | OrderCustomerView:
    order = await service.get(principal, order_id)
    return order_view(order, principal.customer_code is not None)
