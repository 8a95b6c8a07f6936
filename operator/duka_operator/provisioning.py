"""Creating the application role and database on the server, idempotently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from duka_operator.database_url import sslmode


def role_statement(user: str, password: str, exists: bool) -> sql.Composed:
    verb = sql.SQL("ALTER ROLE") if exists else sql.SQL("CREATE ROLE")
    return sql.SQL("{} {} WITH LOGIN PASSWORD {}").format(
        verb, sql.Identifier(user), sql.Literal(password)
    )


def database_statement(database: str, owner: str) -> sql.Composed:
    return sql.SQL("CREATE DATABASE {} OWNER {}").format(
        sql.Identifier(database), sql.Identifier(owner)
    )


async def provision(
    spec: Mapping[str, Any], password: str, admin_user: str, admin_password: str
) -> list[str]:
    """Ensure the role (with the current password) and the database; the actions taken."""
    actions = []
    async with await psycopg.AsyncConnection.connect(
        host=spec["host"],
        port=int(spec.get("port", 5432)),
        user=admin_user,
        password=admin_password,
        dbname="postgres",
        sslmode=sslmode(spec),
        autocommit=True,  # CREATE DATABASE cannot run in a transaction
        connect_timeout=10,
    ) as conn:
        user, database = str(spec["user"]), str(spec["database"])
        found = await conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,))
        exists = await found.fetchone() is not None
        await conn.execute(role_statement(user, password, exists))
        actions.append(f"role {user} {'updated' if exists else 'created'}")
        found = await conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if await found.fetchone() is None:
            await conn.execute(database_statement(database, user))
            actions.append(f"database {database} created")
    return actions
