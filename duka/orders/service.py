"""Order use cases. Creating an order writes its SMS outbox row in the same statement."""

from __future__ import annotations

import builtins
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from duka.auth.principal import Principal
from duka.core import log_context
from duka.core.errors import ConflictError
from duka.core.pagination import after_cursor, page_of
from duka.core.settings import Settings
from duka.customers.models import Customer
from duka.customers.service import visible_to
from duka.db.engine import Database, driver_of
from duka.idempotency.service import run_once
from duka.limits.service import RateLimiter
from duka.notifications.models import Notification, NotificationStatus
from duka.notifications.schemas import NotificationPublic
from duka.notifications.template import OrderMessage, order_reference, render
from duka.notifications.wakeup import SenderWakeups, notify_sender
from duka.orders.customer_snapshots import CustomerSnapshot, CustomerSnapshots
from duka.orders.exceptions import (
    OrderNotFoundError,
    UnknownCustomerError,
    customer_reference_error,
)
from duka.orders.group_commit import GroupedWrites, OrderGroups
from duka.orders.models import Order
from duka.orders.schemas import OrderCreate, OrderPage, OrderPublic
from duka.orders.writes import InsertedOrder, NewOrder, OnConnection, OrderWrite, OrderWrites

log = logging.getLogger(__name__)

_c = Customer.__table__.c
_o = Order.__table__.c
_n = Notification.__table__.c
# A customer changing under every attempt is a hot row being edited; the client may retry.
_SNAPSHOT_ATTEMPTS = 3

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
    _n.encoding,
    _n.segments,
    _n.cost_amount,
    _n.cost_currency,
)


def _order_from_row(m: Any) -> OrderPublic:
    notification = None
    if m["status"] is not None:
        notification = NotificationPublic.from_row(m)
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


def _created(order: NewOrder, customer: CustomerSnapshot, inserted: InsertedOrder) -> OrderPublic:
    # Built without validation: every value is validated input or the database's own.
    return OrderPublic.model_construct(
        id=order.id,
        reference=order_reference(order.id.hex),
        customer_id=customer.id,
        customer_code=customer.code,
        item=order.item,
        quantity=order.quantity,
        amount=order.amount,
        currency=order.currency,
        ordered_at=order.ordered_at,
        created_at=inserted.created_at,
        created_by=order.created_by,
        notification=NotificationPublic.from_row(
            {
                "status": NotificationStatus(inserted.status),
                "attempts": inserted.attempts,
                "last_error": None,
                "provider_message_id": None,
                "updated_at": inserted.updated_at,
                "sent_at": None,
                "delivered_at": None,
                "encoding": None,
                "segments": None,
                "cost_amount": None,
                "cost_currency": None,
            },
            validate=False,
        ),
    )


class OrderService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        customers: CustomerSnapshots | None = None,
        wakeups: SenderWakeups | None = None,
        limiter: RateLimiter | None = None,
        groups: OrderGroups | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        # Both shared by the process's requests (the composition root passes them in).
        self.customers = customers if customers is not None else CustomerSnapshots()
        self.wakeups = wakeups if wakeups is not None else SenderWakeups(self._notify)
        self.limiter = limiter if limiter is not None else RateLimiter(settings)
        # The worker's group commit (duka/orders/group_commit.py), None when it is off.
        self.groups = groups

    async def _notify(self) -> None:
        await notify_sender(self.db)

    async def create(
        self, data: OrderCreate, principal: Principal, idempotency_key: str | None
    ) -> tuple[OrderPublic, bool]:
        if (data.customer_id is None) == (data.customer_code is None):
            raise customer_reference_error()
        # Before any work: each order is an SMS billed, so the caller's limits come first.
        await self.limiter.order(self.db, principal)
        order, replayed = await self._unit_of_work(
            principal, idempotency_key, data, lambda conn: self._insert(conn, data, principal)
        )
        if not replayed:
            self.wakeups.signal()  # committed: the SMS sender may look
        # The first line of the order's story: a grep of its reference goes on in the runner.
        log.info(
            "order %s", "replayed" if replayed else "accepted", extra={"order_ref": order.reference}
        )
        return order, replayed

    async def _unit_of_work(
        self,
        principal: Principal,
        idempotency_key: str | None,
        data: OrderCreate,
        work: Callable[[OrderWrites], Awaitable[OrderPublic]],
    ) -> tuple[OrderPublic, bool]:
        """The one unit of work of both order paths: `work` gets where to write (the pool's
        psycopg connection, or the worker's group commit), and the result says whether it was
        a replay. Without a key, in autocommit (the order's write is one statement, atomic by
        itself; a transaction would cost round trips), in a group with concurrent orders when
        group commit is on; with one, inside run_once's transaction, after the key row is
        claimed, so that the order and its key commit together."""
        if idempotency_key is None:
            if self.groups is not None:
                return await work(GroupedWrites(self.db, self.groups)), False
            async with self.db.driver() as conn:
                return await work(OnConnection(conn)), False

        async def action(conn: AsyncConnection) -> OrderPublic:
            return await work(OnConnection(await driver_of(conn)))

        return await run_once(
            self.db, principal, "orders.create", idempotency_key, data, OrderPublic, action
        )

    async def _insert(
        self, writes: OrderWrites, data: OrderCreate, principal: Principal
    ) -> OrderPublic:
        field = "customer_id" if data.customer_id is not None else "customer_code"
        order = NewOrder(
            id=uuid.uuid4(),
            item=data.item,
            quantity=data.quantity,
            amount=data.amount,
            currency=data.currency or self.settings.default_currency,
            ordered_at=data.ordered_at or datetime.now(UTC),
            created_by=principal.subject,
            traceparent=log_context.get("traceparent"),
        )
        if data.customer_id is not None:
            customer = self.customers.by_id(data.customer_id)
        else:
            customer = self.customers.by_code(str(data.customer_code))
        for _ in range(_SNAPSHOT_ATTEMPTS):
            if customer is None:
                customer = await writes.look_up(
                    customer_id=data.customer_id, code=data.customer_code
                )
                if customer is None:
                    raise UnknownCustomerError(field)
                self.customers.remember(customer)
            if not customer.visible_to(principal.customer_code):
                raise UnknownCustomerError(field)
            inserted = await self._insert_for(writes, customer, order, field)
            if inserted is not None:
                return _created(order, customer, inserted)
            self.customers.forget(customer)  # changed or deleted since: look again
            customer = None
        raise ConflictError("The order's customer is being changed; try again.")

    async def _insert_for(
        self,
        writes: OrderWrites,
        customer: CustomerSnapshot,
        order: NewOrder,
        field: str,
    ) -> InsertedOrder | None:
        message = OrderMessage(
            customer_name=customer.name,
            order_ref=order_reference(order.id.hex),
            quantity=order.quantity,
            item=order.item,
            currency=order.currency,
            amount=order.amount,
            ordered_at=order.ordered_at,
        )
        body = render(self.settings.sms_template, message, self.settings.zone)
        try:
            return await writes.insert(OrderWrite(customer, order, body))
        except psycopg.errors.ForeignKeyViolation as exc:
            # The customer was deleted between the snapshot and the insert.
            self.customers.forget(customer)
            raise UnknownCustomerError(field) from exc

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
        stmt = after_cursor(stmt, cursor, sort=_o.ordered_at, row_id=_o.id, limit=limit)
        async with self.db.autocommit() as conn:
            rows = (await conn.execute(stmt)).all()
        items, next_cursor = page_of(
            rows, limit, lambda r: _order_from_row(r._mapping), lambda o: (o.ordered_at, o.id)
        )
        return OrderPage(items=items, next_cursor=next_cursor)

    async def first_for_customers(
        self, principal: Principal, customer_ids: Sequence[uuid.UUID], first: int
    ) -> dict[uuid.UUID, builtins.list[OrderPublic]]:
        """Each customer's first `first` orders (in list order: ordered_at, id), for every
        customer at once in one statement (GraphQL's loaders batch with it)."""
        if not customer_ids:
            return {}
        ranked = (
            self._select(principal)
            .add_columns(
                func.row_number()
                .over(partition_by=_o.customer_id, order_by=(_o.ordered_at, _o.id))
                .label("rank")
            )
            .where(_o.customer_id.in_(list(set(customer_ids))))
            .subquery()
        )
        stmt = (
            select(ranked)
            .where(ranked.c.rank <= first)
            .order_by(ranked.c.customer_id, ranked.c.ordered_at, ranked.c.id)
        )
        async with self.db.autocommit() as conn:
            rows = (await conn.execute(stmt)).all()
        found: dict[uuid.UUID, builtins.list[OrderPublic]] = {}
        for row in rows:
            order = _order_from_row(row._mapping)
            found.setdefault(order.customer_id, []).append(order)
        return found
