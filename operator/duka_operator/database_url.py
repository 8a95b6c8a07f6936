"""Rendering a DatabaseConfig spec into the environment the API and the flow runner read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from duka_operator.errors import RefusedError

DEFAULT_PORT = 5432
# Verified TLS unless the spec says otherwise: the admin connection carries a superuser's
# password, and the rendered URL the application's.
DEFAULT_SSLMODE = "verify-full"


class HostNotAllowedError(RefusedError):
    reason = "HostNotAllowed"


def sslmode(spec: Mapping[str, Any]) -> str:
    return str(spec.get("sslmode") or DEFAULT_SSLMODE)


def sslmode_downgrade(spec: Mapping[str, Any]) -> str | None:
    """What the status says when the spec weakens TLS below verify-full (None if it does not)."""
    mode = sslmode(spec)
    if mode == DEFAULT_SSLMODE:
        return None
    return (
        f"spec.sslmode={mode}: connections to {spec['host']} do not verify the server's "
        "certificate and host name"
        + (" and are not encrypted" if mode in ("disable", "allow", "prefer") else "")
    )


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Exact names (case-insensitive), or "*.suffix" for any name below that suffix."""
    name = host.strip("[]").rstrip(".").lower()
    for entry in allowed:
        pattern = entry.strip("[]").rstrip(".").lower()
        if pattern.startswith("*."):
            if name.endswith(pattern[1:]) and len(name) > len(pattern) - 1:
                return True
        elif name == pattern:
            return True
    return False


def check_host(host: str, allowed: Sequence[str]) -> None:
    if not host_allowed(host, allowed):
        raise HostNotAllowedError(
            f"host {host!r} is not on the operator's allow-list (DUKA_OPERATOR_DATABASE_HOSTS): "
            "it neither connects there nor renders a URL for it"
        )


def database_url(spec: Mapping[str, Any], password: str) -> str:
    """postgresql://user:password@host:port/database?sslmode=..., every part escaped."""
    user = quote(str(spec["user"]), safe="")
    secret = quote(password, safe="")
    host = str(spec["host"])
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    port = int(spec.get("port", DEFAULT_PORT))
    database = quote(str(spec["database"]), safe="")
    query = urlencode({"sslmode": sslmode(spec)})
    return f"postgresql://{user}:{secret}@{host}:{port}/{database}?{query}"


def database_env(spec: Mapping[str, Any], password: str) -> dict[str, str]:
    """DUKA_DATABASE_URL and the pool settings, as duka/core/settings.py names them."""
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
