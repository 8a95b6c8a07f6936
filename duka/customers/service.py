"""Customer use cases. Each public method owns its transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from duka.auth.principal import Principal
from duka.core.errors import FieldError, ValidationFailedError
from duka.core.pagination import after_cursor, page_of
from duka.core.settings import Settings
from duka.core.visibility import code_visible_sql
from duka.customers.codes import GENERATED_CODE
from duka.customers.exceptions import (
    CustomerCodeTakenError,
    CustomerHasOrdersError,
    CustomerNotFoundError,
)
from duka.customers.models import Customer
from duka.customers.phone import InvalidPhoneError, normalize_phone, phone_field_error
from duka.customers.schemas import CustomerCreate, CustomerPage, CustomerPublic, CustomerUpdate
from duka.db.engine import Database
from duka.db.errors import (
    FOREIGN_KEY_VIOLATION,
    RESTRICT_VIOLATION,
    UNIQUE_VIOLATION,
    sqlstate,
)
from duka.idempotency.service import run_once
from duka.orders.models import Order

_c = Customer.__table__.c
_COLUMNS = (_c.id, _c.code, _c.name, _c.phone, _c.created_at, _c.updated_at)
# A generated code can collide with one a client chose earlier; try the next number.
_GENERATION_ATTEMPTS = 20


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def visible_to(principal: Principal) -> Any:
    """Rows the principal may see: a customer's own login sees only itself."""
    return code_visible_sql(principal.customer_code, _c.code)


class CustomerService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def _phone(self, raw: str) -> str:
        try:
            return normalize_phone(raw, self.settings.default_phone_region)
        except InvalidPhoneError as exc:
            raise ValidationFailedError(
                "The phone number is not valid.", [phone_field_error(exc)]
            ) from exc

    async def create(
        self, data: CustomerCreate, principal: Principal, idempotency_key: str | None
    ) -> tuple[CustomerPublic, bool]:
        phone = self._phone(data.phone)
        if idempotency_key is None:
            async with self.db.autocommit() as conn:
                return await self._insert(conn, data, phone), False

        async def action(conn: AsyncConnection) -> CustomerPublic:
            return await self._insert(conn, data, phone)

        return await run_once(
            self.db, principal, "customers.create", idempotency_key, data, CustomerPublic, action
        )

    async def _insert(
        self, conn: AsyncConnection, data: CustomerCreate, phone: str
    ) -> CustomerPublic:
        attempts = 1 if data.code is not None else _GENERATION_ATTEMPTS
        for _ in range(attempts):
            stmt = (
                insert(Customer)
                .values(
                    code=data.code if data.code is not None else GENERATED_CODE,
                    name=data.name,
                    phone=phone,
                )
                .on_conflict_do_nothing(index_elements=[func.lower(_c.code)])
                .returning(*_COLUMNS)
            )
            row = (await conn.execute(stmt)).first()
            if row is not None:
                return CustomerPublic.model_validate(row._mapping)
        raise CustomerCodeTakenError(data.code or "(generated)")

    async def get(self, principal: Principal, customer_id: uuid.UUID) -> CustomerPublic:
        return await self._one(
            select(*_COLUMNS).where(_c.id == customer_id, visible_to(principal)),
            f"with id {customer_id}",
        )

    async def get_by_code(self, principal: Principal, code: str) -> CustomerPublic:
        return await self._one(
            select(*_COLUMNS).where(func.lower(_c.code) == code.lower(), visible_to(principal)),
            f"with code {code!r}",
        )

    async def get_many(
        self, principal: Principal, customer_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, CustomerPublic]:
        """The customers among `customer_ids` the principal may see, in one statement (for
        callers that batch, such as GraphQL's loaders); the others are left out."""
        if not customer_ids:
            return {}
        stmt = select(*_COLUMNS).where(_c.id.in_(list(set(customer_ids))), visible_to(principal))
        async with self.db.autocommit() as conn:
            rows = (await conn.execute(stmt)).all()
        found = (CustomerPublic.model_validate(r._mapping) for r in rows)
        return {c.id: c for c in found}

    async def _one(self, stmt: Select[Any], ref: str) -> CustomerPublic:
        async with self.db.autocommit() as conn:
            row = (await conn.execute(stmt)).first()
        if row is None:
            raise CustomerNotFoundError(ref)
        return CustomerPublic.model_validate(row._mapping)

    async def list(
        self,
        principal: Principal,
        *,
        code: str | None,
        q: str | None,
        cursor: str | None,
        limit: int,
    ) -> CustomerPage:
        stmt = select(*_COLUMNS).where(visible_to(principal))
        if code is not None:
            stmt = stmt.where(func.lower(_c.code) == code.lower())
        if q:
            stmt = stmt.where(_c.name.ilike(f"%{_like_escape(q)}%", escape="\\"))
        stmt = after_cursor(stmt, cursor, sort=_c.created_at, row_id=_c.id, limit=limit)
        async with self.db.autocommit() as conn:
            rows = (await conn.execute(stmt)).all()
        items, next_cursor = page_of(
            rows,
            limit,
            lambda r: CustomerPublic.model_validate(r._mapping),
            lambda c: (c.created_at, c.id),
        )
        return CustomerPage(items=items, next_cursor=next_cursor)

    async def update(
        self, principal: Principal, customer_id: uuid.UUID, data: CustomerUpdate
    ) -> CustomerPublic:
        values: dict[str, Any] = {}
        nulls = [
            f
            for f in ("code", "name", "phone")
            if f in data.model_fields_set and getattr(data, f) is None
        ]
        if nulls:
            raise ValidationFailedError(
                "Fields cannot be cleared.",
                [_null_error(f) for f in nulls],
            )
        if data.code is not None:
            values["code"] = data.code
        if data.name is not None:
            values["name"] = data.name
        if data.phone is not None:
            values["phone"] = self._phone(data.phone)
        if not values:
            return await self.get(principal, customer_id)
        values["updated_at"] = func.now()
        stmt = (
            update(Customer)
            .where(_c.id == customer_id, visible_to(principal))
            .values(**values)
            .returning(*_COLUMNS)
        )
        try:
            async with self.db.autocommit() as conn:
                row = (await conn.execute(stmt)).first()
        except IntegrityError as exc:
            if sqlstate(exc) == UNIQUE_VIOLATION:
                raise CustomerCodeTakenError(str(data.code)) from exc
            raise
        if row is None:
            raise CustomerNotFoundError(f"with id {customer_id}")
        return CustomerPublic.model_validate(row._mapping)

    async def delete(self, principal: Principal, customer_id: uuid.UUID) -> None:
        has_orders = exists().where(Order.__table__.c.customer_id == _c.id)
        stmt = (
            delete(Customer)
            .where(_c.id == customer_id, visible_to(principal), ~has_orders)
            .returning(_c.id)
        )
        try:
            async with self.db.begin() as conn:
                deleted = (await conn.execute(stmt)).first()
                if deleted is None:
                    found = (
                        await conn.execute(
                            select(_c.id).where(_c.id == customer_id, visible_to(principal))
                        )
                    ).first()
                    if found is None:
                        raise CustomerNotFoundError(f"with id {customer_id}")
                    raise CustomerHasOrdersError
        except IntegrityError as exc:
            # An order committed between our check and the delete: the FK refuses it.
            if sqlstate(exc) in (RESTRICT_VIOLATION, FOREIGN_KEY_VIOLATION):
                raise CustomerHasOrdersError from exc
            raise


def _null_error(field: str) -> FieldError:
    return FieldError(field=field, message="cannot be null", code="null_not_allowed")
