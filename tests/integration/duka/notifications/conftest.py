"""Fixtures for the outbox's own tests: an emptied database (tests/support/outbox_db.py)."""

from __future__ import annotations

from tests.support.outbox_db import outbox_db

__all__ = ["outbox_db"]
