"""Liveness and readiness. Readiness = the database answers and migrations are at head."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection
from starlette.datastructures import State

from api.deps import DatabaseDep
from duka.db import migrate

router = APIRouter(tags=["health"])


def migration_head(state: State) -> str | None:
    """The newest migration this code knows, read once per process (loading Alembic's
    script directory parses every migration file: too slow for a probe that runs often).
    The app's start calls this; a probe of an app started without it reads it once."""
    if not hasattr(state, "migration_head"):
        state.migration_head = migrate.head_revision()
    head: str | None = state.migration_head
    return head


@router.get("/healthz", summary="Liveness: the process serves requests")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: database reachable and schema at the latest migration",
    responses={503: {"description": "Not ready; `checks` says why."}},
)
async def readyz(request: Request, db: DatabaseDep) -> Any:
    head = migration_head(request.app.state)

    def current(sync_conn: Connection) -> str | None:
        return migrate.current_revision(sync_conn)

    try:
        async with db.autocommit() as conn:
            revision = await conn.run_sync(current)
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse(
            {"status": "unavailable", "checks": {"database": type(exc).__name__}},
            status_code=503,
        )
    if revision != head:
        return JSONResponse(
            {
                "status": "unavailable",
                "checks": {"database": "ok", "migrations": f"at {revision}, head is {head}"},
            },
            status_code=503,
        )
    return {"status": "ok", "checks": {"database": "ok", "migrations": head}}
