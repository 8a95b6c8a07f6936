"""Bulk upload: N orders as one CSV to POST /api/v1/uploads/orders, against a raw COPY
of the same orders (and their outbox rows) into the same tables.

Duka's side is timed from the first byte sent until the answer (201: every order and its
notification row committed; an answer of 202 would keep the clock running until they are
all in the database). The stored rows are counted afterwards.
The baseline is what PostgreSQL alone needs to store the same rows: the CSV is turned
ahead of time, untimed, into the tables' own columns (customer codes resolved to ids,
random order and notification ids drawn and handed out in ascending order, as Duka's
upload does, SMS text rendered); then one transaction runs
`COPY orders ... FROM STDIN (FORMAT csv)` and `COPY notifications ... FROM STDIN` from
those files. Indexes, constraints and foreign keys are all in place, as for Duka.
"""

from __future__ import annotations

import csv
import sys
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict

import httpx
import psycopg

from bench.database import BenchDatabase, customer_code
from bench.fixed_rate import ITEMS
from duka.core.settings import Settings
from duka.notifications.template import OrderMessage, order_reference, render

HEADER = ("customer_code", "item", "quantity", "amount", "currency", "ordered_at")
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
NOTIFICATION_COLUMNS = ("id", "order_id", "recipient", "body")
START = datetime.fromisoformat("2026-11-20T08:00:00+03:00")
CREATED_BY = "dev-user"
# How long to wait for the last rows of an upload that is processed after its answer.
SETTLE_TIMEOUT_S = 600.0


class UploadResult(TypedDict, total=False):
    rows: int
    bytes: int
    status: int
    seconds: float
    rows_per_s: float
    orders_stored: int
    notifications_stored: int
    note: str


def write_upload_csv(path: Path, rows: int, customers: int) -> None:
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            item, amount, quantity = ITEMS[i % len(ITEMS)]
            ordered_at = START + timedelta(seconds=i)
            out.writerow(
                (
                    customer_code(i % customers + 1),
                    item,
                    quantity,
                    amount,
                    "KES",
                    ordered_at.isoformat(),
                )
            )


def _ascending_ids(count: int) -> list[uuid.UUID]:
    # Random ids copied in ascending order fill each primary-key index at its end instead
    # of at random pages; Duka's upload does the same, so the baseline gets it too.
    return sorted(uuid.uuid4() for _ in range(count))


def write_copy_files(db: BenchDatabase, source: Path, orders: Path, notes: Path, rows: int) -> None:
    """The baseline's inputs, built untimed from the upload file."""
    with db.connect() as conn:
        customers = {
            str(code).lower(): (str(cid), str(name), str(phone))
            for cid, code, name, phone in conn.execute(
                "SELECT id, code, name, phone FROM customers"
            )
        }
    settings = Settings()
    with (
        source.open(newline="") as src,
        orders.open("w", newline="") as o,
        notes.open("w", newline="") as n,
    ):
        order_out, note_out = csv.writer(o), csv.writer(n)
        order_out.writerow(ORDER_COLUMNS)
        note_out.writerow(NOTIFICATION_COLUMNS)
        order_ids, note_ids = _ascending_ids(rows), _ascending_ids(rows)
        for i, row in enumerate(csv.DictReader(src)):
            customer_id, name, phone = customers[row["customer_code"].lower()]
            order_id = order_ids[i]
            ordered_at = datetime.fromisoformat(row["ordered_at"])
            message = OrderMessage(
                customer_name=name,
                order_ref=order_reference(order_id.hex),
                quantity=int(row["quantity"]),
                item=row["item"],
                currency=row["currency"],
                amount=Decimal(row["amount"]),
                ordered_at=ordered_at,
            )
            order_out.writerow(
                (
                    order_id,
                    customer_id,
                    row["item"],
                    row["quantity"],
                    row["amount"],
                    row["currency"],
                    row["ordered_at"],
                    CREATED_BY,
                )
            )
            note_out.writerow(
                (
                    note_ids[i],
                    order_id,
                    phone,
                    render(settings.sms_template, message, settings.zone),
                )
            )


def _copy(cur: psycopg.Cursor[Any], table: str, columns: tuple[str, ...], path: Path) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv, HEADER true)"
    with cur.copy(sql) as copy, path.open("rb") as f:
        while block := f.read(1 << 20):
            copy.write(block)


def raw_copy(db: BenchDatabase, orders: Path, notes: Path, rows: int) -> UploadResult:
    db.clear_orders()
    with db.connect() as conn:
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            _copy(cur, "orders", ORDER_COLUMNS, orders)
            _copy(cur, "notifications", NOTIFICATION_COLUMNS, notes)
        seconds = time.perf_counter() - started
    stored_orders, stored_notes = db.counts()
    return UploadResult(
        rows=rows,
        bytes=orders.stat().st_size + notes.stat().st_size,
        seconds=seconds,
        rows_per_s=rows / seconds,
        orders_stored=stored_orders,
        notifications_stored=stored_notes,
    )


def duka_upload(db: BenchDatabase, url: str, token: str, source: Path, rows: int) -> UploadResult:
    db.clear_orders()
    payload = source.read_bytes()
    started = time.perf_counter()
    answer = httpx.post(
        url,
        content=payload,
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
        timeout=SETTLE_TIMEOUT_S,
    )
    if answer.status_code in (404, 405):
        return UploadResult(
            rows=rows,
            bytes=len(payload),
            status=answer.status_code,
            note=f"{url} answered {answer.status_code}: the upload endpoint is not there yet",
        )
    if not answer.is_success:
        print(
            f"[bench] upload answered {answer.status_code}: {answer.text[:2000]}", file=sys.stderr
        )
        return UploadResult(
            rows=rows,
            bytes=len(payload),
            status=answer.status_code,
            note=f"upload failed with {answer.status_code}",
        )
    seconds = time.perf_counter() - started
    stored_orders, stored_notes = db.counts()
    if answer.status_code == 202:
        # Accepted for later: the clock runs until every row is stored.
        deadline = started + SETTLE_TIMEOUT_S
        while (stored_orders < rows or stored_notes < rows) and time.perf_counter() < deadline:
            time.sleep(0.05)
            stored_orders, stored_notes = db.counts()
        seconds = time.perf_counter() - started
    return UploadResult(
        rows=rows,
        bytes=len(payload),
        status=answer.status_code,
        seconds=seconds,
        rows_per_s=rows / seconds,
        orders_stored=stored_orders,
        notifications_stored=stored_notes,
    )
