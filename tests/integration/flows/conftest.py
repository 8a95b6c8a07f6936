"""Fixtures for the SMS flow tests: the session's Prefect server (tests/support/prefect.py).
The emptied database (`db`) and the fresh Africa's Talking sandbox per test (`sandbox`) are
the shared ones in tests/conftest.py; neither needs Keycloak."""

from __future__ import annotations

from tests.support.prefect import prefect_server, pytest_collection_finish, pytest_unconfigure

__all__ = ["prefect_server", "pytest_collection_finish", "pytest_unconfigure"]
