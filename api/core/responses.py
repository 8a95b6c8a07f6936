"""Response helpers shared by routers: documented error responses (OpenAPI only; the
handlers live in problems) and ready-made JSON answers for hot routes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from api.core.problems import PROBLEM_JSON, Problem

_DESCRIPTIONS = {
    401: "Missing or invalid bearer token.",
    403: "The caller lacks a required role.",
    404: "Not found (or not visible to the caller).",
    409: "Conflicts with the current state.",
    413: "Request body too large.",
    415: "Unsupported media type.",
    422: "Invalid input; `errors` names every field at fault.",
    429: "Over the caller's rate limit or quota; retry after `Retry-After` seconds.",
    503: "The database is unavailable; retry later.",
}


_HEADERS: dict[int, dict[str, Any]] = {
    429: {
        "Retry-After": {
            "description": "Seconds until the request can succeed.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {}},
        }
        | ({"headers": _HEADERS[status]} if status in _HEADERS else {})
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
