"""Fixtures for the image tests: the image built once per session (cached by
deploy/image/build.py), a migrated database of its own, and the flows' Prefect server."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.image.image_support import build_image, require_podman
from tests.support.prefect import prefect_server, pytest_collection_finish, pytest_unconfigure

__all__ = ["prefect_server", "pytest_collection_finish", "pytest_unconfigure"]

IMAGE_DATABASE = "duka_image_e2e"


@pytest.fixture(scope="session")
def duka_image() -> str:
    require_podman()
    return build_image("duka")


@pytest.fixture(scope="session")
def image_database_url(database_url: str) -> Iterator[str]:
    """An empty database of the test server, for `duka migrate` in the container to create."""
    admin = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{IMAGE_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{IMAGE_DATABASE}"')
    yield make_url(database_url).set(database=IMAGE_DATABASE).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{IMAGE_DATABASE}" WITH (FORCE)')
