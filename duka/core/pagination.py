"""Opaque keyset cursors: base64url JSON of the last row's sort key."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.sql.elements import ColumnElement

from duka.core.errors import FieldError, ValidationFailedError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

SelectT = TypeVar("SelectT", bound=Select[Any])
RowT = TypeVar("RowT")
ItemT = TypeVar("ItemT")


def encode_cursor(sort_value: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([sort_value.isoformat(), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sort_raw, id_raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        value = datetime.fromisoformat(sort_raw)
        if value.tzinfo is None:
            raise ValueError("naive timestamp")
        return value, uuid.UUID(id_raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailedError(
            "The cursor is not one this API issued.",
            [FieldError(field="cursor", message="invalid or corrupted cursor", code="invalid")],
        ) from exc


def after_cursor(
    stmt: SelectT,
    cursor: str | None,
    *,
    sort: ColumnElement[datetime],
    row_id: ColumnElement[uuid.UUID],
    limit: int,
) -> SelectT:
    """One keyset page of `stmt`: the rows after the cursor's (sort, id), in (sort, id)
    order, one row more than `limit` so that `page_of` can tell whether a next page exists."""
    if cursor is not None:
        after_ts, after_id = decode_cursor(cursor)
        stmt = stmt.where(or_(sort > after_ts, and_(sort == after_ts, row_id > after_id)))
    return stmt.order_by(sort, row_id).limit(limit + 1)


def page_of(
    rows: Sequence[RowT],
    limit: int,
    build: Callable[[RowT], ItemT],
    key: Callable[[ItemT], tuple[datetime, uuid.UUID]],
) -> tuple[list[ItemT], str | None]:
    """The page's items built from the rows `after_cursor` fetched, and the cursor of the
    next page (the last item's sort key), or None on the last page."""
    items = [build(row) for row in rows[:limit]]
    next_cursor = encode_cursor(*key(items[-1])) if len(rows) > limit else None
    return items, next_cursor
