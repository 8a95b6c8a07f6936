"""Statuses that layers in front of every route can answer, added to each operation's
OpenAPI responses by the same rules those layers follow, so no route can forget them.

Routes still document their own statuses (`problems(...)` next to the route); this adds
what the middleware and FastAPI's body parsing produce whatever the route says:

- 413 on POST/PUT/PATCH (BodyLimitMiddleware reads every such body);
- 415 on POST/PUT/PATCH outside the routes that take other media types
  (JsonContentTypeMiddleware);
- 400 and 422 where the route reads a body (unreadable, e.g. not UTF-8; or invalid);
- 422 where the route reads path or query parameters;
- 503 everywhere under the API prefix (the database; the identity provider).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI

from api.core.problems import PROBLEM_JSON
from api.core.responses import RETRY_AFTER_HEADER, describe

_BODY_METHODS = frozenset({"post", "put", "patch"})


def _statuses(method: str, path: str, op: dict[str, Any], json_exempt: tuple[str, ...]) -> set[int]:
    statuses = {503}
    if method in _BODY_METHODS:
        statuses.add(413)
        if not path.startswith(json_exempt):
            statuses.add(415)
        if "requestBody" in op:
            statuses |= {400, 422}
    if any(p.get("in") in ("path", "query") for p in op.get("parameters", [])):
        statuses.add(422)
    return statuses


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": describe(status),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == 503:
        response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
    return response


def document_gate_statuses(app: FastAPI, *, prefix: str, json_exempt: Iterable[str]) -> None:
    """Wrap `app.openapi` so every operation under `prefix` lists the gates' statuses."""
    exempt = tuple(json_exempt)
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith(prefix):
                continue
            for method, op in operations.items():
                responses = op.setdefault("responses", {})
                for status in sorted(_statuses(method, path, op, exempt)):
                    responses.setdefault(str(status), _problem_response(status))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
