from typing import Any

import pytest

from duka_operator.database_url import (
    HostNotAllowedError,
    check_host,
    database_env,
    database_secret_data,
    database_url,
    host_allowed,
    sslmode_downgrade,
)

SPEC: dict[str, Any] = {"host": "db.internal", "database": "duka", "user": "duka_app"}


def test_url_verifies_tls_by_default_and_escapes_the_password() -> None:
    url = database_url(SPEC, "p@ss/w:rd")
    assert url == "postgresql://duka_app:p%40ss%2Fw%3Ard@db.internal:5432/duka?sslmode=verify-full"


def test_url_brackets_ipv6_and_uses_port_and_sslmode() -> None:
    url = database_url({**SPEC, "host": "::1", "port": 6432, "sslmode": "require"}, "x")
    assert url == "postgresql://duka_app:x@[::1]:6432/duka?sslmode=require"


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


def test_only_a_weaker_sslmode_is_reported_as_a_downgrade() -> None:
    assert sslmode_downgrade(SPEC) is None
    assert sslmode_downgrade({**SPEC, "sslmode": "verify-full"}) is None
    require = sslmode_downgrade({**SPEC, "sslmode": "require"})
    assert require is not None
    assert "spec.sslmode=require" in require
    assert "not encrypted" not in require
    disable = sslmode_downgrade({**SPEC, "sslmode": "disable"})
    assert disable is not None
    assert "not encrypted" in disable


@pytest.mark.parametrize(
    ("host", "allowed", "ok"),
    [
        ("db.internal", ["db.internal"], True),
        ("DB.Internal.", ["db.internal"], True),
        ("evil.example.com", ["db.internal"], False),
        ("pg.databases.svc", ["*.databases.svc"], True),
        ("databases.svc", ["*.databases.svc"], False),
        ("pg.databases.svc.evil.com", ["*.databases.svc"], False),
        ("xdatabases.svc", ["*.databases.svc"], False),
        ("::1", ["[::1]"], True),
        ("db.internal", [], False),
    ],
)
def test_host_allow_list(host: str, allowed: list[str], ok: bool) -> None:
    assert host_allowed(host, allowed) is ok


def test_a_host_off_the_list_is_refused_with_its_reason() -> None:
    with pytest.raises(HostNotAllowedError, match="not on the operator's allow-list") as info:
        check_host("attacker.example.com", ["db.internal"])
    assert info.value.reason == "HostNotAllowed"
