"""The devstack chart's images, run the way deploy/helm/duka-devstack runs them: PostgreSQL
initialised from POSTGRES_* as uid 70, the Prefect server as uid 10001 on a read-only root,
and Keycloak importing the realm from /opt/keycloak/data/import."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.image.image_support import (
    ROOT,
    Container,
    build_image,
    free_port,
    free_ports,
    require_podman,
    wait_until,
)


def _get(url: str) -> httpx.Response | None:
    try:
        answer = httpx.get(url, timeout=5)
    except httpx.TransportError:
        return None
    return answer if answer.status_code == 200 else None


def test_postgres_initialises_its_database_and_user_from_the_environment() -> None:
    require_podman()
    image = build_image("postgres")
    port = free_port()
    env = {
        "POSTGRES_DB": "duka",
        "POSTGRES_USER": "duka",
        "POSTGRES_PASSWORD": "duka-dev-password",
        "PGDATA": "/var/lib/postgresql/data/pgdata",
    }
    options = ["-p", f"127.0.0.1:{port}:5432", "--user", "70:70"]
    for key, value in env.items():
        options += ["-e", f"{key}={value}"]
    url = f"postgresql://duka:duka-dev-password@127.0.0.1:{port}/duka"
    # Its data and socket folders are uid 70's (volumes with fsGroup 70 in the chart, whose
    # root filesystem is writable for PostgreSQL).
    with Container(image, options=tuple(options), read_only=False) as server:
        server.wait_for_log("ready to accept connections", timeout_s=120)

        def connected() -> object:
            try:
                with psycopg.connect(url, connect_timeout=3) as conn:
                    return conn.execute("SELECT current_user, current_database()").fetchone()
            except psycopg.OperationalError:
                return None

        assert wait_until(connected, "a password login", timeout_s=60) == ("duka", "duka")
        wrong = url.replace("duka-dev-password", "wrong")
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(wrong, connect_timeout=3).close()


def test_prefect_server_answers_on_a_read_only_root_as_uid_10001() -> None:
    require_podman()
    image = build_image("prefect")
    port = free_port()
    with Container(image, options=("-p", f"127.0.0.1:{port}:4200")) as server:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: server.running() and _get(f"{base}/api/health"), "health", 240)
        ui = httpx.get(f"{base}/", timeout=10)
        assert ui.status_code == 200
        assert "<html" in ui.text.lower()


def test_keycloak_starts_dev_mode_and_imports_the_realm(tmp_path: Path) -> None:
    require_podman()
    image = build_image("keycloak")
    realm = tmp_path / "import"
    realm.mkdir()
    shutil.copyfile(ROOT / "deploy/keycloak/duka-realm.json", realm / "duka-realm.json")
    realm.chmod(0o755)
    (realm / "duka-realm.json").chmod(0o644)
    http, management = free_ports(2)
    options = (
        "-p",
        f"127.0.0.1:{http}:8080",
        "-p",
        f"127.0.0.1:{management}:9000",
        "-v",
        f"{realm}:/opt/keycloak/data/import:ro",
        "-e",
        "KC_BOOTSTRAP_ADMIN_USERNAME=admin",
        "-e",
        "KC_BOOTSTRAP_ADMIN_PASSWORD=keycloak-dev-password",
    )
    argv = ("start-dev", "--import-realm", "--health-enabled=true", "--hostname=http://kc:8080")
    # Keycloak writes into /opt/keycloak at start (start-dev): no --read-only, like the chart.
    with Container(image, *argv, options=options, read_only=False) as keycloak:
        ready = f"http://127.0.0.1:{management}/health/ready"
        wait_until(lambda: keycloak.running() and _get(ready), "/health/ready", 420)
        found = httpx.get(
            f"http://127.0.0.1:{http}/realms/duka/.well-known/openid-configuration", timeout=10
        )
        assert found.status_code == 200
        assert found.json()["issuer"] == "http://kc:8080/realms/duka"
