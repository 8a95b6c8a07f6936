"""Service configuration, read from DUKA_* environment variables.

Nothing reads the environment at import time: callers go through `get_settings()`,
which tests override by clearing its cache or by FastAPI dependency overrides.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PostgresDsn, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class MissingProductionSettingsError(RuntimeError):
    """A production process lacks a setting that has only a development default."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUKA_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="Deployment environment name."
    )
    database_url: SecretStr | None = Field(
        default=None,
        description=(
            "PostgreSQL URL (postgresql://user:pass@host:port/db). "
            "Unset: start the embedded PostgreSQL server under DUKA_STATE_DIR."
        ),
    )
    state_dir: Path = Field(
        default=Path(".state"), description="Where embedded services keep their data."
    )
    embedded_pg_port: int = Field(
        default=54329, ge=1024, le=65535, description="TCP port of the embedded PostgreSQL."
    )
    db_pool_size: int = Field(
        default=20,
        ge=1,
        le=200,
        description="Connections each worker keeps open (and prepares statements on).",
    )
    db_max_overflow: int = Field(
        default=0,
        ge=0,
        le=200,
        description="Extra connections a worker may open under bursts; each is closed again "
        "after use, which costs a new connection (and its prepared statements) per burst.",
    )
    db_pool_timeout_s: float = Field(default=5.0, gt=0)
    db_connect_timeout_s: int = Field(default=3, ge=1)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    db_upload_statement_timeout_ms: int = Field(
        default=300_000,
        ge=0,
        description="Statement timeout inside a bulk upload's transaction (its COPY streams "
        "every row), when longer than DUKA_DB_STATEMENT_TIMEOUT_MS; 0: no limit.",
    )
    default_phone_region: str = Field(
        default="KE", min_length=2, max_length=2, description="Region for local phone numbers."
    )
    default_currency: str = Field(default="KES", min_length=3, max_length=3)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="JSON request limit.")
    max_upload_bytes: int = Field(
        default=128 * 1_048_576, ge=1024, description="Bulk upload request limit."
    )
    max_upload_rows: int = Field(default=200_000, ge=1)
    max_customer_upload_rows: int = Field(
        default=100,
        ge=1,
        description="Most rows one upload may hold when a customer's own login sends it "
        "(DUKA_MAX_UPLOAD_ROWS for everyone else).",
    )
    limit_orders_per_minute: int = Field(
        default=6000,
        ge=1,
        description="Orders (each one SMS) a principal may create per minute, sustained, by "
        "POST /orders; counted in PostgreSQL, so across every API replica and worker.",
    )
    limit_orders_burst: int = Field(
        default=2000,
        ge=1,
        description="Orders a principal may create at once by POST /orders before "
        "DUKA_LIMIT_ORDERS_PER_MINUTE paces it.",
    )
    limit_orders_per_day: int = Field(
        default=2_000_000,
        ge=1,
        description="Quota of orders (so SMS) per principal over any 24 hours, single and "
        "uploaded alike; an upload larger than what is left is refused with 429.",
    )
    limit_uploads_per_hour: int = Field(
        default=120, ge=1, description="Bulk uploads a principal may send per hour."
    )
    limit_customer_orders_per_minute: int = Field(
        default=10,
        ge=1,
        description="DUKA_LIMIT_ORDERS_PER_MINUTE for a customer's own login.",
    )
    limit_customer_orders_burst: int = Field(
        default=20, ge=1, description="DUKA_LIMIT_ORDERS_BURST for a customer's own login."
    )
    limit_customer_orders_per_day: int = Field(
        default=200, ge=1, description="DUKA_LIMIT_ORDERS_PER_DAY for a customer's own login."
    )
    limit_customer_uploads_per_hour: int = Field(
        default=6, ge=1, description="DUKA_LIMIT_UPLOADS_PER_HOUR for a customer's own login."
    )
    limit_lease_max: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Most order tokens a worker takes from PostgreSQL at once and spends "
        "locally (leases grow from 1 while a principal keeps using them; 1: one database "
        "statement per order). Unspent tokens lapse after 2 s (duka/limits/service.py).",
    )
    order_group_commit: bool = Field(
        default=True,
        description="Write a worker's concurrent POST /orders (those without an "
        "Idempotency-Key) in groups: one statement and one commit per group, each request "
        "answered after that commit with its own row or error (duka/orders/group_commit.py).",
    )
    order_group_max: int = Field(
        default=64,
        ge=1,
        le=1000,
        description="Most orders one group commit writes (DUKA_ORDER_GROUP_COMMIT).",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Explicit CORS allow-list (JSON list of origins)."
    )
    sms_template: str = Field(
        default=(
            "Hi {customer_name}, we received your order {order_ref}: {quantity} x {item}, "
            "{currency} {amount} on {ordered_at}. Thank you!"
        ),
        description="Order SMS template; placeholders are filled from the order, never parsed.",
    )
    display_timezone: str = Field(
        default="Africa/Nairobi", description="Time zone for times shown in SMS text."
    )
    at_username: str = Field(
        default="sandbox",
        min_length=1,
        description="Africa's Talking username; 'sandbox' means AT's sandbox environment.",
    )
    at_api_key: SecretStr | None = Field(
        default=None, description="Africa's Talking API key. Unset: SMS sending is disabled."
    )
    at_sender_id: str | None = Field(
        default=None,
        max_length=11,
        description="Registered alphanumeric sender id or short code; unset: AT's default.",
    )
    at_base_url: str | None = Field(
        default=None,
        description=(
            "Africa's Talking API root, e.g. http://127.0.0.1:8025 for the local sandbox "
            "(python -m devtools.at_sandbox). Unset: AT's own host for the username. "
            "Plain http is accepted on loopback only."
        ),
    )
    at_timeout_s: float = Field(
        default=10.0, gt=0, le=60, description="Read timeout of one send (connect: 3 s)."
    )
    at_max_concurrency: int = Field(
        default=8, ge=1, le=64, description="Sends in flight at once (worker threads)."
    )
    at_callback_secret: SecretStr | None = Field(
        default=None,
        min_length=16,
        description=(
            "Shared secret of the delivery-report callback: the password of its HTTP basic "
            "auth, or the last segment of its URL (see docs/notifications.md). Unset: the "
            "callback answers 404."
        ),
    )
    oidc_issuer: str | None = Field(
        default=None,
        description=(
            "OpenID Connect issuer whose access tokens the API accepts, exactly as the tokens' "
            "`iss` says (e.g. https://sso.example.com/realms/duka). Unset: the Keycloak that "
            "`make dev` starts, http://127.0.0.1:DUKA_OIDC_DEV_PORT/realms/duka (set it in "
            "production: nothing answers there and every request gets 503)."
        ),
    )
    oidc_audience: str = Field(
        default="duka-api", min_length=1, description="Value the tokens' `aud` must contain."
    )
    oidc_allowed_clients: list[str] = Field(
        default_factory=lambda: ["duka-swagger", "duka-cli", "duka-ingest"],
        min_length=1,
        description="Clients (the tokens' `azp`) whose access tokens the API accepts (JSON "
        "list); drop the development-only duka-cli in production.",
    )
    oidc_docs_client_id: str = Field(
        default="duka-swagger",
        min_length=1,
        description="Public client that Swagger UI logs in with (Authorization Code + PKCE).",
    )
    oidc_leeway_s: int = Field(
        default=10, ge=0, le=120, description="Clock skew tolerated on exp, nbf and iat."
    )
    oidc_jwks_ttl_s: float = Field(
        default=300,
        gt=0,
        description="Age after which the issuer's keys are fetched again (a removed key stops "
        "working within this time).",
    )
    oidc_jwks_min_refresh_s: float = Field(
        default=10,
        ge=0,
        description="Least time between two key fetches that unknown key ids trigger.",
    )
    oidc_token_cache_size: int = Field(
        default=4096,
        ge=0,
        le=1_000_000,
        description="Verified access tokens remembered per worker until they expire, so a "
        "client's repeated token skips the signature check (0: check every request).",
    )
    oidc_http_timeout_s: float = Field(
        default=5, gt=0, le=60, description="Timeout of one discovery or key fetch."
    )
    oidc_dev_port: int = Field(
        default=8180, ge=1024, le=65535, description="HTTP port of the Keycloak `make dev` runs."
    )
    host: str = Field(default="127.0.0.1")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] | None = Field(
        default=None,
        description="Log lines of the API, the SMS runner and the operator: `json` (one "
        "object per line: time, level, logger, message and the request's or SMS's fields) "
        "or `text`. Unset: json with DUKA_ENVIRONMENT=production, text otherwise.",
    )
    server_limit_concurrency: int | None = Field(
        default=1000,
        ge=1,
        description="Connections and requests a worker serves at once; beyond it the server "
        "answers 503 at once instead of queueing without bound (unset: no limit).",
    )
    server_backlog: int = Field(
        default=2048, ge=1, description="Connections the kernel queues before accept()."
    )
    server_timeout_keep_alive_s: int = Field(
        default=5,
        ge=1,
        le=300,
        description="Seconds an idle keep-alive connection stays open (idle sockets cost "
        "a slot of the concurrency limit).",
    )
    server_timeout_graceful_shutdown_s: int = Field(
        default=30,
        ge=1,
        description="Seconds a stopping worker lets requests in flight finish before it "
        "closes them (keep below the pod's terminationGracePeriodSeconds).",
    )
    server_limit_max_requests: int | None = Field(
        default=None,
        ge=1,
        description="Requests after which a worker is replaced (bounds slow leaks; needs "
        "DUKA_WORKERS > 1 to keep serving meanwhile). Unset: never.",
    )
    metrics_enabled: bool = Field(
        default=False,
        description="Serve Prometheus metrics on their own port (DUKA_METRICS_PORT for "
        "`duka serve`, DUKA_SMS_METRICS_PORT for the runner), never on the API's port; "
        "see docs/operations.md.",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        description="Address the metrics port binds to (0.0.0.0 in a pod, so Prometheus "
        "can scrape it).",
    )
    metrics_port: int = Field(
        default=9464, ge=0, le=65535, description="Metrics port of `duka serve` (0: any free)."
    )
    metrics_pool_sample_s: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="How often each API worker samples its database pool for the metrics.",
    )

    graphql_max_depth: int = Field(
        default=8, ge=1, le=50, description="Deepest selection a GraphQL operation may nest."
    )
    graphql_max_aliases: int = Field(
        default=20, ge=1, description="Most aliases one GraphQL operation may use."
    )
    graphql_max_tokens: int = Field(
        default=2000,
        ge=10,
        description="Most tokens a GraphQL document may hold (checked "
        "while parsing, so a huge document costs no more than this).",
    )
    graphql_max_cost: int = Field(
        default=5000,
        ge=1,
        description="Most cost an operation may estimate: each field costs 1, times the "
        "`first` of every list around it, and createOrders 1 per input (api/graphql/limits.py).",
    )
    graphql_max_batch: int = Field(
        default=1000, ge=1, le=100_000, description="Most inputs one createOrders may carry."
    )
    graphql_introspection: bool | None = Field(
        default=None,
        description="Answer GraphQL introspection queries. Unset: on, except with "
        "DUKA_ENVIRONMENT=production.",
    )
    graphql_ide: bool | None = Field(
        default=None,
        description="Serve the GraphiQL page at GET /graphql. Unset: on, except with "
        "DUKA_ENVIRONMENT=production.",
    )

    @field_validator("sms_template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        from duka.notifications.template import check_template

        return check_template(value)

    @field_validator("display_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def require_production_settings(self, *, database: bool, oidc: bool) -> None:
        """In production, refuse the embedded fallbacks: an embedded PostgreSQL in a pod's
        scratch space, or a Keycloak on 127.0.0.1 that is not there."""
        if self.environment != "production":
            return
        missing = [
            name
            for name, needed, value in (
                ("DUKA_DATABASE_URL", database, self.database_url),
                ("DUKA_OIDC_ISSUER", oidc, self.oidc_issuer),
            )
            if needed and value is None
        ]
        if missing:
            raise MissingProductionSettingsError(
                f"DUKA_ENVIRONMENT=production needs {' and '.join(missing)} set; without them "
                "Duka would fall back to development defaults (an embedded PostgreSQL, a "
                "Keycloak on 127.0.0.1). Set them, or set DUKA_ENVIRONMENT=development."
            )

    @property
    def oidc_issuer_url(self) -> str:
        """The configured issuer, or the development Keycloak's realm."""
        return self.oidc_issuer or f"http://127.0.0.1:{self.oidc_dev_port}/realms/duka"

    @property
    def graphql_introspection_enabled(self) -> bool:
        if self.graphql_introspection is not None:
            return self.graphql_introspection
        return self.environment != "production"

    @property
    def graphql_ide_enabled(self) -> bool:
        if self.graphql_ide is not None:
            return self.graphql_ide
        return self.environment != "production"

    @property
    def log_format_effective(self) -> Literal["json", "text"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.environment == "production" else "text"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_timezone)

    def sqlalchemy_url(self, raw: str) -> str:
        """Turn a libpq-style URL into the async psycopg dialect SQLAlchemy needs."""
        url = str(PostgresDsn(raw))
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
