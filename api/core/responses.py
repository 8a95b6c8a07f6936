"""Response helpers shared by routers: documented error responses (OpenAPI only; the
handlers live in problems) and ready-made JSON answers for hot routes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from api.core.problems import PROBLEM_JSON, Problem

_DESCRIPTIONS = {
    400: "The body cannot be read (e.g. not UTF-8); `errors` names it.",
    401: "Missing or invalid bearer token.",
    403: "The caller lacks a required role.",
    404: "Not found (or not visible to the caller).",
    409: "Conflicts with the current state.",
    413: "Request body too large.",
    415: "Unsupported media type.",
    422: "Invalid input; `errors` names every field at fault.",
    429: "Over the caller's rate limit or quota; retry after `Retry-After` seconds.",
    503: "A dependency (the database, or the identity provider when the token's signing key "
    "is not cached) is unavailable; retry after `Retry-After` seconds.",
}
# Statuses whose answers carry Retry-After (seconds).
_RETRY_AFTER = frozenset({429, 503})
RETRY_AFTER_HEADER: dict[str, Any] = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}


def describe(status: int) -> str:
    return _DESCRIPTIONS[status]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {}},
        }
        | ({"headers": {"Retry-After": RETRY_AFTER_HEADER}} if status in _RETRY_AFTER else {})
        for status in (*statuses, 503)
    }


def model_response(
    model: BaseModel, status_code: int, headers: Mapping[str, str] | None = None
) -> Response:
    """The model as JSON, as FastAPI would answer it, without FastAPI's second validation
    of a return value that is already the declared model (the route keeps `response_model`
    for OpenAPI)."""
    return Response(
        model.model_dump_json().encode(),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )
