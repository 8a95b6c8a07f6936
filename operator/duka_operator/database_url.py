"""Rendering a DatabaseConfig spec into the environment the API and the flow runner read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

DEFAULT_PORT = 5432
DEFAULT_SSLMODE = "prefer"


def database_url(spec: Mapping[str, Any], password: str) -> str:
    """postgresql://user:password@host:port/database?sslmode=..., every part escaped."""
    user = quote(str(spec["user"]), safe="")
    secret = quote(password, safe="")
    host = str(spec["host"])
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    port = int(spec.get("port", DEFAULT_PORT))
    database = quote(str(spec["database"]), safe="")
    query = urlencode({"sslmode": spec.get("sslmode", DEFAULT_SSLMODE)})
    return f"postgresql://{user}:{secret}@{host}:{port}/{database}?{query}"


def database_env(spec: Mapping[str, Any], password: str) -> dict[str, str]:
    """DUKA_DATABASE_URL and the pool settings, as api/core/settings.py names them."""
    env = {"DUKA_DATABASE_URL": database_url(spec, password)}
    pool = spec.get("pool") or {}
    min_size = pool.get("minSize")
    max_size = pool.get("maxSize")
    if min_size is not None:
        env["DUKA_DB_POOL_SIZE"] = str(max(int(min_size), 1))
    if max_size is not None:
        base = max(int(min_size), 1) if min_size is not None else min(int(max_size), 10)
        env.setdefault("DUKA_DB_POOL_SIZE", str(base))
        env["DUKA_DB_MAX_OVERFLOW"] = str(max(int(max_size) - base, 0))
    if pool.get("timeoutSeconds") is not None:
        env["DUKA_DB_POOL_TIMEOUT_S"] = str(int(pool["timeoutSeconds"]))
    return env


def database_secret_data(spec: Mapping[str, Any], password: str) -> dict[str, str]:
    """The environment above, plus `url`: the key the chart's secrets.database.key expects."""
    env = database_env(spec, password)
    return {**env, "url": env["DUKA_DATABASE_URL"]}
