from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from duka.core.errors import ValidationFailedError
from duka.core.pagination import decode_cursor, encode_cursor, page_of


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 27, 0, 14, 49, 341053, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=3))),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_round_trip_keeps_the_exact_sort_key(moment: datetime) -> None:
    row_id = uuid.uuid4()
    cursor = encode_cursor(moment, row_id)
    assert "=" not in cursor
    assert cursor.isascii()
    decoded = decode_cursor(cursor)
    assert decoded == (moment, row_id)
    assert decoded[0].utcoffset() == moment.utcoffset()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "a",
        b64(b"not json"),
        b64(b"\xff\xfe\xfd"),
        b64(json.dumps(["2026-01-01T00:00:00", str(uuid.uuid4())]).encode()),  # naive
        b64(json.dumps(["yesterday", str(uuid.uuid4())]).encode()),
        b64(json.dumps(["2026-01-01T00:00:00+00:00", "not-a-uuid"]).encode()),
        b64(json.dumps(["2026-01-01T00:00:00+00:00"]).encode()),
        b64(json.dumps(["2026-01-01T00:00:00+00:00", str(uuid.uuid4()), 3]).encode()),
        b64(json.dumps({"ts": 1, "id": 2}).encode()),
        b64(json.dumps([1, 2]).encode()),
        b64(json.dumps(None).encode()),
        b64(b"NaN"),
    ],
)
def test_corrupted_cursors_name_the_cursor_field(cursor: str) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        decode_cursor(cursor)
    assert [(e.field, e.code) for e in caught.value.errors] == [("cursor", "invalid")]
    assert caught.value.status == 422


def test_page_of_keeps_limit_items_and_points_past_the_last() -> None:
    moment = datetime(2026, 11, 27, tzinfo=UTC)
    rows = [(moment + timedelta(seconds=i), uuid.uuid4()) for i in range(4)]
    items, next_cursor = page_of(rows, 3, lambda r: r, lambda r: r)
    assert items == rows[:3]
    assert next_cursor is not None
    assert decode_cursor(next_cursor) == rows[2]
    assert page_of(rows[:3], 3, lambda r: r, lambda r: r) == (rows[:3], None)
    assert page_of([], 3, lambda r: r, lambda r: r) == ([], None)
