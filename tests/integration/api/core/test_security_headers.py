"""Security headers on every answer, whatever produced it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.main import create_app
from duka.core.errors import ServiceUnavailableError
from duka.core.settings import Settings
from duka.db.engine import Database

pytestmark = pytest.mark.anyio

Problem = Callable[[httpx.Response, int, str], dict[str, Any]]
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def assert_secured(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    # Exactly once each, never duplicated by an inner layer.
    assert len(r.headers.get_list("content-security-policy")) == 1


@pytest.fixture
async def failing_client(settings: Settings, db: Database) -> Any:
    """The app with two extra routes: an unexpected crash, and a dependency outage."""
    app: FastAPI = create_app(settings)
    app.state.db = db

    @app.get("/test/crash")
    async def crash() -> None:
        raise RuntimeError("boom: secret internals")

    @app.get("/test/unavailable")
    async def unavailable() -> None:
        raise ServiceUnavailableError("The SMS provider is down.")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
        yield c


async def test_headers_on_success_and_error_answers(client: httpx.AsyncClient) -> None:
    answers = [
        await client.get("/healthz"),
        await client.post("/api/v1/customers", json={"name": "A", "phone": "0712345678"}),
        await client.get("/api/v1/customers"),
        await client.get("/api/v1/customers/00000000-0000-0000-0000-000000000000"),
        await client.post("/api/v1/customers", json={}),
        await client.post(
            "/api/v1/customers", content=b"x", headers={"content-type": "text/plain"}
        ),
        await client.get("/openapi.json"),
        await client.get("/no/such/path"),
    ]
    assert [r.status_code for r in answers] == [200, 201, 200, 404, 422, 415, 200, 404]
    for r in answers:
        assert_secured(r)
        assert r.headers["content-security-policy"] == API_CSP


async def test_an_unexpected_error_is_a_bare_500_problem_with_headers(
    failing_client: httpx.AsyncClient, problem: Problem
) -> None:
    r = await failing_client.get("/test/crash")
    body = problem(r, 500, "internal-error")
    assert "secret" not in r.text
    assert "Traceback" not in r.text
    assert body["detail"] == "The error was logged; no internals are shown."
    assert_secured(r)


async def test_service_unavailable_maps_to_503_with_retry_after(
    failing_client: httpx.AsyncClient, problem: Problem
) -> None:
    r = await failing_client.get("/test/unavailable")
    body = problem(r, 503, "service-unavailable")
    assert body["detail"] == "The SMS provider is down."
    assert r.headers["retry-after"] == "5"
    assert_secured(r)


async def test_openapi_documents_problem_answers(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    post = spec["paths"]["/api/v1/customers"]["post"]
    assert {"409", "413", "415", "422", "503"} <= set(post["responses"])
    assert "application/problem+json" in post["responses"]["422"]["content"]
    assert "/docs" not in spec["paths"]
