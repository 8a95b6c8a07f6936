"""Fixtures for the SMS flow tests: the session's Prefect server (tests/support/prefect.py),
an emptied database, and a fresh Africa's Talking sandbox per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.runner import SandboxServer
from tests.support.outbox_db import outbox_db
from tests.support.prefect import prefect_server, pytest_collection_finish, pytest_unconfigure

__all__ = ["outbox_db", "prefect_server", "pytest_collection_finish", "pytest_unconfigure"]

SANDBOX_KEY = "flows-test-key"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox (empty inbox, no faults, no delivery reports) on a free port."""
    with SandboxServer(SandboxConfig(port=0, api_key=SANDBOX_KEY)) as server:
        yield server
