"""Bulk upload routes (filled in by the uploads module)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/uploads", tags=["uploads"])
