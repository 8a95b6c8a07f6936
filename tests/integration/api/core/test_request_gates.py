"""Body size (413), media type (415) and CORS gates in front of the routes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio

Problem = Callable[[httpx.Response, int, str], dict[str, Any]]
Counter = Callable[[str], Awaitable[int]]
LIMIT = 2048


def padded_customer(size: int) -> bytes:
    """A valid customer document of exactly `size` bytes (JSON allows trailing whitespace)."""
    raw = json.dumps({"name": "Jane", "phone": "0712345678"}).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


async def test_body_at_the_limit_is_accepted(client_for: Any) -> None:
    client = client_for(max_body_bytes=LIMIT)
    r = await client.post(
        "/api/v1/customers",
        content=padded_customer(LIMIT),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 201, r.text


async def test_declared_oversized_body_is_413(
    client_for: Any, problem: Problem, count_rows: Counter
) -> None:
    client = client_for(max_body_bytes=LIMIT)
    r = await client.post(
        "/api/v1/customers",
        content=padded_customer(LIMIT + 1),
        headers={"content-type": "application/json"},
    )
    body = problem(r, 413, "payload-too-large")
    assert str(LIMIT) in body["detail"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert await count_rows("customers") == 0


async def test_streamed_oversized_body_without_length_is_413(
    client_for: Any, problem: Problem, count_rows: Counter
) -> None:
    client = client_for(max_body_bytes=LIMIT)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"name": "Jane", "phone": "0712345678", "pad": "'
        for _ in range(10):
            sent += 1
            yield b"x" * 512
        yield b'"}'

    r = await client.post(
        "/api/v1/customers", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in r.request.headers
    assert r.request.headers["transfer-encoding"] == "chunked"
    problem(r, 413, "payload-too-large")
    assert r.headers["x-content-type-options"] == "nosniff"
    # Reading stopped at the limit: the rest of the stream was never pulled.
    assert sent < 10
    assert await count_rows("customers") == 0


async def test_the_default_limit_applies_to_json_routes(
    client: httpx.AsyncClient, problem: Problem
) -> None:
    r = await client.post(
        "/api/v1/orders",
        content=b"{" + b" " * (1_048_576 + 10) + b"}",
        headers={"content-type": "application/json"},
    )
    problem(r, 413, "payload-too-large")


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        ("text/plain", "text/plain"),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("multipart/form-data; boundary=x", "multipart/form-data"),
        ("application/xml", "application/xml"),
        (None, "none"),
    ],
)
async def test_non_json_post_is_415(
    client: httpx.AsyncClient,
    content_type: str | None,
    shown: str,
    problem: Problem,
    count_rows: Counter,
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = await client.post(
        "/api/v1/customers",
        content=b'{"name": "Jane", "phone": "0712345678"}',
        headers=headers,
    )
    body = problem(r, 415, "unsupported-media-type")
    assert shown in body["detail"]
    assert await count_rows("customers") == 0


async def test_a_post_without_a_body_is_a_validation_problem_not_415(
    client: httpx.AsyncClient, problem: Problem
) -> None:
    r = await client.post("/api/v1/customers")
    body = problem(r, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["body"]


async def test_non_json_patch_is_415(client: httpx.AsyncClient, problem: Problem) -> None:
    created = await client.post("/api/v1/customers", json={"name": "A", "phone": "0712345678"})
    r = await client.patch(
        f"/api/v1/customers/{created.json()['id']}",
        content=b'{"name": "B"}',
        headers={"content-type": "text/plain"},
    )
    problem(r, 415, "unsupported-media-type")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ],
)
async def test_json_media_types_are_accepted(client: httpx.AsyncClient, content_type: str) -> None:
    r = await client.post(
        "/api/v1/customers",
        content=b'{"name": "Jane", "phone": "0712345678"}',
        headers={"content-type": content_type},
    )
    assert r.status_code == 201, r.text


ALLOWED = "https://shop.example"


async def test_cors_preflight_for_an_allowed_origin(client_for: Any) -> None:
    client = client_for(cors_origins=[ALLOWED])
    r = await client.options(
        "/api/v1/orders",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, Idempotency-Key",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "idempotency-key" in r.headers["access-control-allow-headers"].lower()
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_cors_refuses_other_origins(client_for: Any) -> None:
    client = client_for(cors_origins=[ALLOWED])
    preflight = await client.options(
        "/api/v1/orders",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    simple = await client.get("/api/v1/customers", headers={"Origin": "https://evil.example"})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


async def test_cors_simple_request_from_an_allowed_origin_exposes_headers(
    client_for: Any,
) -> None:
    client = client_for(cors_origins=[ALLOWED])
    r = await client.post(
        "/api/v1/customers",
        json={"name": "A", "phone": "0712345678"},
        headers={"Origin": ALLOWED, "Idempotency-Key": "cors-1"},
    )
    assert r.status_code == 201
    assert r.headers["access-control-allow-origin"] == ALLOWED
    exposed = r.headers["access-control-expose-headers"].lower()
    assert "location" in exposed
    assert "idempotent-replayed" in exposed


async def test_without_an_allow_list_there_is_no_cors(client: httpx.AsyncClient) -> None:
    simple = await client.get("/api/v1/customers", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in simple.headers
    preflight = await client.options(
        "/api/v1/customers",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers
