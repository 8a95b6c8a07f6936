from typing import Any

from duka_operator.database_url import database_env, database_secret_data, database_url

SPEC: dict[str, Any] = {"host": "db.internal", "database": "duka", "user": "duka_app"}


def test_url_has_defaults_and_escapes_the_password() -> None:
    url = database_url(SPEC, "p@ss/w:rd")
    assert url == "postgresql://duka_app:p%40ss%2Fw%3Ard@db.internal:5432/duka?sslmode=prefer"


def test_url_brackets_ipv6_and_uses_port_and_sslmode() -> None:
    url = database_url({**SPEC, "host": "::1", "port": 6432, "sslmode": "verify-full"}, "x")
    assert url == "postgresql://duka_app:x@[::1]:6432/duka?sslmode=verify-full"


def test_env_without_pool_has_the_url_only() -> None:
    assert set(database_env(SPEC, "x")) == {"DUKA_DATABASE_URL"}


def test_pool_settings_map_to_settings_names() -> None:
    env = database_env({**SPEC, "pool": {"minSize": 5, "maxSize": 20, "timeoutSeconds": 7}}, "x")
    assert env["DUKA_DB_POOL_SIZE"] == "5"
    assert env["DUKA_DB_MAX_OVERFLOW"] == "15"
    assert env["DUKA_DB_POOL_TIMEOUT_S"] == "7"


def test_max_size_alone_caps_the_pool() -> None:
    env = database_env({**SPEC, "pool": {"maxSize": 4}}, "x")
    assert env["DUKA_DB_POOL_SIZE"] == "4"
    assert env["DUKA_DB_MAX_OVERFLOW"] == "0"


def test_secret_data_adds_the_charts_url_key() -> None:
    data = database_secret_data(SPEC, "x")
    assert data["url"] == data["DUKA_DATABASE_URL"]
