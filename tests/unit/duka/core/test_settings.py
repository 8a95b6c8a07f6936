from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from duka.core.settings import Settings, get_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.upper().startswith("DUKA_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()


def test_defaults() -> None:
    s = Settings()
    assert s.environment == "development"
    assert s.database_url is None
    assert s.state_dir == Path(".state")
    assert s.embedded_pg_port == 54329
    assert (s.host, s.port, s.workers) == ("127.0.0.1", 8000, 1)
    assert s.default_phone_region == "KE"
    assert s.default_currency == "KES"
    assert s.max_body_bytes == 1_048_576
    assert s.cors_origins == []
    assert s.display_timezone == "Africa/Nairobi"
    assert str(s.zone) == "Africa/Nairobi"
    assert "{order_ref}" in s.sms_template


def test_environment_variables_are_read_with_the_duka_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUKA_PORT", "9001")
    monkeypatch.setenv("DUKA_ENVIRONMENT", "production")
    monkeypatch.setenv("DUKA_DATABASE_URL", "postgresql://app:s3cret@db:5432/duka")
    monkeypatch.setenv("DUKA_CORS_ORIGINS", '["https://shop.example", "https://admin.example"]')
    monkeypatch.setenv("DUKA_STATE_DIR", "/var/lib/duka")
    monkeypatch.setenv("DUKA_LOG_LEVEL", "warning")
    monkeypatch.setenv("PORT", "1")  # unprefixed names are not ours
    s = Settings()
    assert s.port == 9001
    assert s.environment == "production"
    assert s.database_url is not None
    assert s.database_url.get_secret_value() == "postgresql://app:s3cret@db:5432/duka"
    assert "s3cret" not in repr(s)
    assert s.cors_origins == ["https://shop.example", "https://admin.example"]
    assert s.state_dir == Path("/var/lib/duka")
    assert s.log_level == "warning"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DUKA_PORT", "0"),
        ("DUKA_PORT", "http"),
        ("DUKA_ENVIRONMENT", "staging"),
        ("DUKA_MAX_BODY_BYTES", "10"),
        ("DUKA_DEFAULT_PHONE_REGION", "KEN"),
        ("DUKA_CORS_ORIGINS", "https://not-a-json-list"),
        ("DUKA_WORKERS", "65"),
    ],
)
def test_invalid_environment_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises((ValidationError, ValueError)):
        Settings()


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(ValidationError):
        s.port = 1  # type: ignore[misc]


def test_get_settings_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    monkeypatch.setenv("DUKA_PORT", "9002")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().port == 9002
    get_settings.cache_clear()


def test_template_with_known_placeholders_is_accepted() -> None:
    s = Settings(sms_template="{order_ref}: {amount} {currency} {Not_A_Token} 100%")
    assert s.sms_template.startswith("{order_ref}")


@pytest.mark.parametrize("template", ["Hi {name}", "{order_ref} {secret_key}", "{customer_nam}"])
def test_template_with_unknown_placeholders_is_refused(template: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(sms_template=template)
    assert "unknown placeholder" in str(caught.value)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "", "UTC+3"])
def test_unknown_time_zones_are_refused(zone: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(display_timezone=zone)
    assert "time zone" in str(caught.value)


def test_known_time_zone_is_used() -> None:
    assert Settings(display_timezone="Europe/London").zone.key == "Europe/London"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h:1/db", "postgresql+psycopg://u@h:1/db"),
        ("postgresql://postgres@127.0.0.1:54330/duka_test", None),
    ],
)
def test_sqlalchemy_url_uses_the_psycopg_dialect(raw: str, expected: str | None) -> None:
    converted = Settings().sqlalchemy_url(raw)
    assert converted.startswith("postgresql+psycopg://")
    if expected is not None:
        assert converted == expected
    assert converted.endswith(raw.split("@", 1)[1])


def test_sqlalchemy_url_leaves_other_postgres_drivers_alone() -> None:
    url = "postgresql+asyncpg://u@h/db"
    assert Settings().sqlalchemy_url(url) == url


def test_sqlalchemy_url_refuses_other_databases() -> None:
    with pytest.raises(ValidationError):
        Settings().sqlalchemy_url("mysql://u@h/db")
