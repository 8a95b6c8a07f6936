"""Operator settings from the environment (DUKA_OPERATOR_ prefix), read when first asked for."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUKA_OPERATOR_", extra="ignore")

    keycloak_url: str = Field(
        default="http://127.0.0.1:8180", description="Keycloak base URL (no /realms suffix)."
    )
    keycloak_realm: str = Field(
        default="duka", description="Realm of the operator's own service-account client."
    )
    keycloak_client_id: str = Field(default="duka-operator")
    keycloak_client_secret: SecretStr = Field(default=SecretStr(""))
    drift_interval_s: float = Field(
        default=60.0, gt=0, description="How often Keycloak is compared with each spec."
    )
    retry_delay_s: float = Field(
        default=15.0, gt=0, description="Backoff before retrying after an outage."
    )


@lru_cache
def get_operator_settings() -> OperatorSettings:
    return OperatorSettings()
