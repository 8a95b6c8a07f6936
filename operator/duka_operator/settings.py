"""Operator settings from the environment (DUKA_OPERATOR_ prefix), read when first asked for."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from duka_operator.keycloak_spec import ADOPT_ANNOTATION

# A realm's own clients: Keycloak's account console, admin console and realm administration.
BUILT_IN_CLIENTS = (
    "account",
    "account-console",
    "admin-cli",
    "broker",
    "realm-management",
    "security-admin-console",
)


class OperatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUKA_OPERATOR_", extra="ignore")

    keycloak_url: str = Field(
        default="http://127.0.0.1:8180", description="Keycloak base URL (no /realms suffix)."
    )
    keycloak_realm: str = Field(
        default="duka", description="Realm of the operator's own service-account client."
    )
    keycloak_client_id: str = Field(
        default="duka-operator", description="The operator's own service-account client."
    )
    keycloak_client_secret: SecretStr = Field(
        default=SecretStr(""), description="Secret of the operator's own client."
    )
    protected_client_ids: list[str] = Field(
        default=list(BUILT_IN_CLIENTS),
        description=(
            "clientIds never created, changed or deleted (JSON list). The operator's own "
            "client is always added."
        ),
    )
    adoptable_client_ids: list[str] = Field(
        default=[],
        description=(
            "Existing clients (JSON list of clientIds) a KeycloakClient may take over, and "
            f"only when annotated {ADOPT_ANNOTATION}=true."
        ),
    )
    database_hosts: list[str] = Field(
        default=[],
        description=(
            "PostgreSQL hosts a DatabaseConfig may name (JSON list; '*.example.svc' matches "
            "sub-domains). Empty: none."
        ),
    )
    drift_interval_s: float = Field(
        default=60.0, gt=0, description="How often Keycloak is compared with each spec."
    )
    retry_delay_s: float = Field(
        default=15.0, gt=0, description="Backoff before retrying after an outage."
    )
    delete_refused_retry_s: float = Field(
        default=900.0,
        gt=0,
        description="After Keycloak refuses a deletion (403): the resource stays Failed, "
        "and the deletion is tried again this much later.",
    )

    metrics_enabled: bool = Field(
        default=False, description="Serve Prometheus metrics on their own port."
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="Address the metrics port binds (0.0.0.0 in pods)."
    )
    metrics_port: int = Field(
        default=9466, ge=0, le=65535, description="The metrics port (0: any free one)."
    )

    def protected_clients(self) -> frozenset[str]:
        return frozenset({*self.protected_client_ids, self.keycloak_client_id})

    def adoptable_clients(self) -> frozenset[str]:
        return frozenset(self.adoptable_client_ids) - self.protected_clients()


@lru_cache
def get_operator_settings() -> OperatorSettings:
    return OperatorSettings()
