"""Storing uploaded orders: customers resolved in one query, orders and outbox rows by COPY."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
from sqlalchemy import String, any_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from duka.auth.principal import Principal
from duka.core import log_context
from duka.core.errors import FieldError, ValidationFailedError
from duka.core.settings import Settings
from duka.customers.models import Customer
from duka.customers.service import visible_to
from duka.notifications.outbox.enqueue import (
    COPY_COLUMNS,
    COPY_TABLE,
    COPY_TYPES,
    SUPPRESSED_AMONG,
    CopyRow,
    copy_status,
)
from duka.notifications.template import compiled, order_reference
from duka.notifications.wakeup import wake_sender
from duka.uploads.copy import ascending_uuid4s, copy_rows
from duka.uploads.exceptions import RowErrors
from duka.uploads.order_rows import CustomerRef, OrderRow, OrderRows

_c = Customer.__table__.c

ORDER_COLUMNS = (
    "id",
    "customer_id",
    "item",
    "quantity",
    "amount",
    "currency",
    "ordered_at",
    "created_by",
)
ORDER_TYPES = ("uuid", "uuid", "text", "int4", "numeric", "text", "timestamptz", "text")

Recipient = tuple[uuid.UUID, str, str]  # customer id, name, phone


async def _recipients(
    conn: AsyncConnection, principal: Principal, refs: set[CustomerRef]
) -> dict[CustomerRef, Recipient]:
    """Every customer the rows name that the principal may see, by code and by id."""
    codes = [r for r in refs if isinstance(r, str)]
    ids = [r for r in refs if isinstance(r, uuid.UUID)]
    named = []
    if codes:
        named.append(func.lower(_c.code) == any_(bindparam("codes", codes, ARRAY(String()))))
    if ids:
        named.append(_c.id == any_(bindparam("ids", ids, ARRAY(UUID(as_uuid=True)))))
    stmt = select(_c.id, func.lower(_c.code), _c.name, _c.phone).where(
        or_(*named), visible_to(principal)
    )
    found: dict[CustomerRef, Recipient] = {}
    for customer_id, code, name, phone in await conn.execute(stmt):
        found[code] = found[customer_id] = (customer_id, name, phone)
    return found


def _unknown(row: int, ref: CustomerRef) -> FieldError:
    field = "customer_id" if isinstance(ref, uuid.UUID) else "customer_code"
    return FieldError(field=field, message="no such customer", code="unknown_customer", row=row)


async def store_orders(
    conn: AsyncConnection,
    rows: OrderRows,
    errors: RowErrors,
    principal: Principal,
    settings: Settings,
) -> int:
    """Insert every row with its pending SMS, or raise listing every bad row."""
    named = rows.customers()
    recipients = await _recipients(conn, principal, {ref for _, ref in named}) if named else {}
    for row, ref in named:
        if ref not in recipients:
            errors.add([_unknown(row, ref)])
    checked = rows.checked(errors, recipients)
    if errors:
        for _ in checked:  # only to find every other bad row
            pass
        raise errors.failure()

    order_ids = ascending_uuid4s(len(rows))
    good: list[OrderRow] = []
    try:
        await copy_rows(
            conn,
            "orders",
            ORDER_COLUMNS,
            ORDER_TYPES,
            _order_rows(checked, order_ids, recipients, principal.subject, good, errors),
        )
        if errors:
            raise errors.failure()  # the rows copied so far go with the transaction
        suppressed = await _suppressed(conn, recipients)
        outbox = _outbox_rows(order_ids, good, recipients, settings, suppressed)
        # The outbox rows, as duka/notifications/outbox/enqueue.py defines them.
        await copy_rows(conn, COPY_TABLE, COPY_COLUMNS, COPY_TYPES, outbox)
    except psycopg.errors.ForeignKeyViolation as exc:
        # A customer was deleted between the lookup and the COPY.
        raise ValidationFailedError(
            "A customer named by the upload was deleted while it was being stored; nothing "
            "was stored.",
            [FieldError("customer_code", "no such customer", code="unknown_customer")],
        ) from exc
    # The sender hears it when the upload commits (once, however many rows).
    await wake_sender(conn)
    return len(good)


def _order_rows(
    checked: Iterator[OrderRow],
    order_ids: list[bytes],
    recipients: dict[CustomerRef, Recipient],
    created_by: str,
    good: list[OrderRow],
    errors: RowErrors,
) -> Iterator[tuple[object, ...]]:
    """COPY rows of the good orders (kept in `good`), until a bad one turns up; after it,
    the rest are only checked, so that the answer lists them all."""
    customer_ids = {ref: customer[0].bytes for ref, customer in recipients.items()}
    for order in checked:
        if errors:
            continue
        _, ref, item, quantity, amount, currency, at = order
        order_id = order_ids[len(good)]
        good.append(order)
        yield order_id, customer_ids[ref], item, quantity, amount, currency, at, created_by


async def _suppressed(
    conn: AsyncConnection, recipients: dict[CustomerRef, Recipient]
) -> frozenset[str]:
    """The upload's recipients on the suppression list: their orders' SMS are `suppressed`."""
    phones = sorted({phone for _, _, phone in recipients.values()})
    if not phones:
        return frozenset()
    return frozenset((await conn.execute(SUPPRESSED_AMONG, {"phones": phones})).scalars())


def _outbox_rows(
    order_ids: list[bytes],
    orders: list[OrderRow],
    recipients: dict[CustomerRef, Recipient],
    settings: Settings,
    suppressed: frozenset[str] = frozenset(),
) -> Iterator[CopyRow]:
    """Each order's SMS, pending (or suppressed): the text a single order gets
    (duka/orders/service.py), rendered while PostgreSQL stores the rows before it."""
    template = compiled(settings.sms_template, settings.zone)
    traceparent = log_context.get("traceparent")  # the upload's request made them all
    note_ids = ascending_uuid4s(len(orders))
    for note_id, order_id, (_, ref, item, quantity, amount, currency, at) in zip(
        note_ids, order_ids, orders, strict=False
    ):
        _, name, phone = recipients[ref]
        yield (
            note_id,
            order_id,
            phone,
            template.fill(
                name, order_reference(order_id.hex()), quantity, item, currency, amount, at
            ),
            traceparent,
            copy_status(phone, suppressed),
        )
