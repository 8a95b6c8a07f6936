"""Idempotency-Key handling: a retried POST returns the first answer and creates nothing.

The key row is inserted in the same transaction as the work. A concurrent request with the
same key blocks on the primary key until the first commits, then reads its stored answer;
if the first fails, its transaction (and key) roll back and the retry does the work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from duka.auth.principal import Principal
from duka.core.errors import FieldError, IdempotencyKeyReusedError, ValidationFailedError
from duka.db.engine import Database
from duka.idempotency.models import IdempotencyKey

M = TypeVar("M", bound=BaseModel)

MAX_KEY_LENGTH = 255
_table = IdempotencyKey.__table__
_entity = IdempotencyKey


def fingerprint(payload: BaseModel) -> str:
    return hashlib.sha256(payload.model_dump_json().encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailedError(
            "The Idempotency-Key header is not valid.",
            [
                FieldError(
                    field="header.Idempotency-Key",
                    message=f"must be 1-{MAX_KEY_LENGTH} printable characters",
                    code="invalid",
                )
            ],
        )
    return key


async def run_once(
    db: Database,
    principal: Principal,
    scope: str,
    key: str,
    payload: BaseModel,
    response_model: type[M],
    action: Callable[[AsyncConnection], Awaitable[M]],
    status_code: int = 201,
) -> tuple[M, bool]:
    """Run `action` once per (principal, scope, key); return its result and whether replayed."""
    digest = fingerprint(payload)
    ident = (
        (_table.c.principal == principal.subject)
        & (_table.c.scope == scope)
        & (_table.c.key == check_key(key))
    )
    async with db.begin() as conn:
        claimed = await conn.execute(
            insert(_entity)
            .values(
                principal=principal.subject,
                scope=scope,
                key=key,
                request_hash=digest,
                status_code=0,
                response={},
            )
            .on_conflict_do_nothing()
            .returning(_table.c.key)
        )
        if claimed.first() is None:
            stored = (
                await conn.execute(select(_table.c.request_hash, _table.c.response).where(ident))
            ).one()
            if stored.request_hash != digest:
                raise IdempotencyKeyReusedError(
                    "This Idempotency-Key was used with a different request body."
                )
            return response_model.model_validate(stored.response), True
        result = await action(conn)
        await conn.execute(
            update(_entity)
            .where(ident)
            .values(status_code=status_code, response=result.model_dump(mode="json"))
        )
        return result, False
