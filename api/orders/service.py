"""Order use cases. Creating an order writes its SMS outbox row in the same statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.principal import Principal
from api.core.pagination import decode_cursor, encode_cursor
from api.core.settings import Settings
from api.customers.models import Customer
from api.customers.service import visible_to
from api.db.engine import Database
from api.db.errors import FOREIGN_KEY_VIOLATION, sqlstate
from api.idempotency.service import run_once
from api.notifications.models import Notification
from api.notifications.schemas import NotificationPublic
from api.notifications.template import OrderMessage, order_reference, render
from api.notifications.wakeup import NOTIFY_EXPR
from api.orders.exceptions import OrderNotFoundError, UnknownCustomerError, customer_reference_error
from api.orders.models import Order
from api.orders.schemas import OrderCreate, OrderPage, OrderPublic

_c = Customer.__table__.c
_o = Order.__table__.c
_n = Notification.__table__.c

# One statement, so the order and its outbox row are atomic without a transaction block
# (a single round trip on the hot path). The notification row references the order row
# through the CTE, and the foreign key is checked at the end of the statement. The NOTIFY
# wakes the SMS sender when the statement commits (api/notifications/wakeup.py).
_INSERT_ORDER_WITH_OUTBOX = text(
    f"""
    WITH o AS (
        INSERT INTO orders (id, customer_id, item, quantity, amount, currency, ordered_at,
                            created_by)
        VALUES (:id, :customer_id, :item, :quantity, :amount, :currency, :ordered_at,
                :created_by)
        RETURNING id, created_at
    ), n AS (
        INSERT INTO notifications (id, order_id, channel, recipient, body)
        SELECT :notification_id, o.id, 'sms', :recipient, :body FROM o
        RETURNING status, attempts, updated_at
    )
    SELECT o.created_at, n.status, n.attempts, n.updated_at, {NOTIFY_EXPR} AS woken FROM o, n
    """  # noqa: S608 - NOTIFY_EXPR is a constant
)

_ORDER_COLUMNS = (
    _o.id,
    _o.customer_id,
    _c.code.label("customer_code"),
    _o.item,
    _o.quantity,
    _o.amount,
    _o.currency,
    _o.ordered_at,
    _o.created_at,
    _o.created_by,
    _n.status,
    _n.attempts,
    _n.last_error,
    _n.provider_message_id,
    _n.updated_at,
    _n.sent_at,
    _n.delivered_at,
)


def _order_from_row(m: Any) -> OrderPublic:
    notification = None
    if m["status"] is not None:
        notification = NotificationPublic(
            status=m["status"],
            attempts=m["attempts"],
            last_error=m["last_error"],
            provider_message_id=m["provider_message_id"],
            updated_at=m["updated_at"],
            sent_at=m["sent_at"],
            delivered_at=m["delivered_at"],
        )
    return OrderPublic(
        id=m["id"],
        reference=order_reference(m["id"].hex),
        customer_id=m["customer_id"],
        customer_code=m["customer_code"],
        item=m["item"],
        quantity=m["quantity"],
        amount=m["amount"],
        currency=m["currency"],
        ordered_at=m["ordered_at"],
        created_at=m["created_at"],
        created_by=m["created_by"],
        notification=notification,
    )


class OrderService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def create(
        self, data: OrderCreate, principal: Principal, idempotency_key: str | None
    ) -> tuple[OrderPublic, bool]:
        if (data.customer_id is None) == (data.customer_code is None):
            raise customer_reference_error()
        if idempotency_key is None:
            async with self.db.autocommit() as conn:
                return await self._insert(conn, data, principal), False

        async def action(conn: AsyncConnection) -> OrderPublic:
            return await self._insert(conn, data, principal)

        return await run_once(
            self.db, principal, "orders.create", idempotency_key, data, OrderPublic, action
        )

    async def _insert(
        self, conn: AsyncConnection, data: OrderCreate, principal: Principal
    ) -> OrderPublic:
        if data.customer_id is not None:
            field, match = "customer_id", _c.id == data.customer_id
        else:
            field, match = "customer_code", func.lower(_c.code) == str(data.customer_code).lower()
        customer = (
            await conn.execute(
                select(_c.id, _c.code, _c.name, _c.phone).where(match, visible_to(principal))
            )
        ).first()
        if customer is None:
            raise UnknownCustomerError(field)
        order_id = uuid.uuid4()
        ordered_at = data.ordered_at or datetime.now(UTC)
        currency = data.currency or self.settings.default_currency
        reference = order_reference(order_id.hex)
        body = render(
            self.settings.sms_template,
            OrderMessage(
                customer_name=customer.name,
                order_ref=reference,
                quantity=data.quantity,
                item=data.item,
                currency=currency,
                amount=data.amount,
                ordered_at=ordered_at,
            ),
            self.settings.zone,
        )
        try:
            row = (
                await conn.execute(
                    _INSERT_ORDER_WITH_OUTBOX,
                    {
                        "id": order_id,
                        "customer_id": customer.id,
                        "item": data.item,
                        "quantity": data.quantity,
                        "amount": data.amount,
                        "currency": currency,
                        "ordered_at": ordered_at,
                        "created_by": principal.subject,
                        "notification_id": uuid.uuid4(),
                        "recipient": customer.phone,
                        "body": body,
                    },
                )
            ).one()
        except IntegrityError as exc:
            # The customer was deleted between the lookup and the insert.
            if sqlstate(exc) == FOREIGN_KEY_VIOLATION:
                raise UnknownCustomerError(field) from exc
            raise
        return OrderPublic(
            id=order_id,
            reference=reference,
            customer_id=customer.id,
            customer_code=customer.code,
            item=data.item,
            quantity=data.quantity,
            amount=data.amount,
            currency=currency,
            ordered_at=ordered_at,
            created_at=row.created_at,
            created_by=principal.subject,
            notification=NotificationPublic(
                status=row.status,
                attempts=row.attempts,
                last_error=None,
                provider_message_id=None,
                updated_at=row.updated_at,
                sent_at=None,
                delivered_at=None,
            ),
        )

    def _select(self, principal: Principal) -> Any:
        return (
            select(*_ORDER_COLUMNS)
            .select_from(Order.__table__)
            .join(Customer.__table__, _c.id == _o.customer_id)
            .outerjoin(Notification.__table__, _n.order_id == _o.id)
            .where(visible_to(principal))
        )

    async def get(self, principal: Principal, order_id: uuid.UUID) -> OrderPublic:
        async with self.db.autocommit() as conn:
            row = (await conn.execute(self._select(principal).where(_o.id == order_id))).first()
        if row is None:
            raise OrderNotFoundError(order_id)
        return _order_from_row(row._mapping)

    async def list(
        self,
        principal: Principal,
        *,
        customer_id: uuid.UUID | None,
        customer_code: str | None,
        ordered_from: datetime | None,
        ordered_to: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> OrderPage:
        stmt = self._select(principal)
        if customer_id is not None:
            stmt = stmt.where(_o.customer_id == customer_id)
        if customer_code is not None:
            stmt = stmt.where(func.lower(_c.code) == customer_code.lower())
        if ordered_from is not None:
            stmt = stmt.where(_o.ordered_at >= ordered_from)
        if ordered_to is not None:
            stmt = stmt.where(_o.ordered_at < ordered_to)
        if cursor is not None:
            after_ts, after_id = decode_cursor(cursor)
            stmt = stmt.where(
                or_(_o.ordered_at > after_ts, and_(_o.ordered_at == after_ts, _o.id > after_id))
            )
        stmt = stmt.order_by(_o.ordered_at, _o.id).limit(limit + 1)
        async with self.db.autocommit() as conn:
            rows = (await conn.execute(stmt)).all()
        items = [_order_from_row(r._mapping) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            next_cursor = encode_cursor(items[-1].ordered_at, items[-1].id)
        return OrderPage(items=items, next_cursor=next_cursor)
