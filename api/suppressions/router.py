"""The SMS suppression list, for admins: numbers whose orders are stored `suppressed` and
never sent (fed by AT's opt-out callback and by sends AT answered UserInBlacklist)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from api.auth.roles import require
from api.core.responses import problems
from api.deps import PrincipalDep, SuppressionServiceDep
from duka.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from duka.notifications.suppressions.schemas import SuppressionPage

router = APIRouter(prefix="/sms-suppressions", tags=["notifications"])

ADMIN = [Depends(require("admin"))]
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"


@router.get(
    "",
    dependencies=ADMIN,
    responses=problems(401, 403, 422),
    summary="List suppressed numbers (admin)",
    description=(
        "Numbers Duka does not send SMS to, oldest first, keyset-paginated like the other "
        "lists. `source` says why: `opt_out` (AT's opt-out callback) or `blacklisted` (a send "
        "AT answered 406 UserInBlacklist)."
    ),
)
async def list_suppressions(
    service: SuppressionServiceDep,
    cursor: Annotated[str | None, Query(max_length=512, description="From `next_cursor`.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> SuppressionPage:
    return await service.list(cursor=cursor, limit=limit)


@router.delete(
    "/{phone}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=ADMIN,
    responses=problems(401, 403, 404, 422),
    summary="Clear a suppressed number (admin)",
    description=(
        "Takes the number off the list: its next orders are sent again. Orders stored "
        "`suppressed` meanwhile stay so. The number in E.164, URL-encoded (`%2B254712345678`). "
        "404 when the number is not on the list. If the customer opted out with AT, AT "
        "itself still refuses the sends (UserInBlacklist) until the customer opts back in."
    ),
)
async def clear_suppression(
    phone: Annotated[
        str, Path(pattern=E164_PATTERN, max_length=16, description="E.164, e.g. +254712345678")
    ],
    service: SuppressionServiceDep,
    principal: PrincipalDep,
) -> Response:
    await service.clear(principal, phone)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
