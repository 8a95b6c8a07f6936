"""Documented error responses shared by routers (OpenAPI only; handlers live in problems)."""

from __future__ import annotations

from typing import Any

from api.core.problems import PROBLEM_JSON, Problem

_DESCRIPTIONS = {
    401: "Missing or invalid bearer token.",
    403: "The caller lacks a required role.",
    404: "Not found (or not visible to the caller).",
    409: "Conflicts with the current state.",
    413: "Request body too large.",
    415: "Unsupported media type.",
    422: "Invalid input; `errors` names every field at fault.",
    503: "The database is unavailable; retry later.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {}},
        }
        for status in (*statuses, 503)
    }
