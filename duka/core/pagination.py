"""Opaque keyset cursors: base64url JSON of the last row's sort key."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from duka.core.errors import FieldError, ValidationFailedError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


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
