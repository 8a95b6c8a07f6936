"""Request ids and trace spans: kept or made, echoed, bound for the request's log lines and
named in its problem documents."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from api.core import problems
from api.core.request_context import RequestContextMiddleware
from duka.core import log_context
from duka.core.errors import ConflictError
from duka.core.tracing import parse_traceparent

pytestmark = pytest.mark.anyio

CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def app() -> RequestContextMiddleware:
    inner = FastAPI()
    problems.install(inner)

    @inner.get("/seen")
    async def seen() -> dict[str, str]:
        return dict(log_context.current())

    @inner.get("/conflict")
    async def conflict() -> None:
        raise ConflictError("taken")

    return RequestContextMiddleware(inner)


async def get(path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        return await c.get(path, headers=headers)


async def test_a_safe_request_id_is_kept_echoed_and_bound() -> None:
    r = await get("/seen", **{"X-Request-ID": "client-42"})
    assert r.headers["x-request-id"] == "client-42"
    assert r.json()["request_id"] == "client-42"


@pytest.mark.parametrize("given", [None, "has space", "x" * 129, "a;b"])
async def test_otherwise_a_new_one_is_made(given: str | None) -> None:
    headers = {"X-Request-ID": given} if given is not None else {}
    r = await get("/seen", **headers)
    made = r.headers["x-request-id"]
    assert made != given
    assert len(made) == 32
    assert r.json()["request_id"] == made


async def test_the_request_joins_the_callers_trace() -> None:
    seen = (await get("/seen", traceparent=CALLER)).json()
    span = parse_traceparent(seen["traceparent"])
    assert span is not None
    assert span.trace_id == seen["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert seen["parent_span_id"] == "00f067aa0ba902b7"
    assert span.span_id == seen["span_id"] != "00f067aa0ba902b7"


async def test_an_invalid_traceparent_starts_a_new_trace() -> None:
    seen = (await get("/seen", traceparent="00-zz-zz-01")).json()
    assert parse_traceparent(seen["traceparent"]) is not None
    assert "parent_span_id" not in seen


async def test_problem_documents_carry_the_request_id() -> None:
    r = await get("/conflict", **{"X-Request-ID": "client-43"})
    assert r.status_code == 409
    assert r.json()["request_id"] == "client-43"
    assert r.headers["x-request-id"] == "client-43"


async def test_nothing_stays_bound_after_the_request() -> None:
    await get("/seen", **{"X-Request-ID": "client-44"})
    assert log_context.get("request_id") is None


async def test_other_scopes_pass_through() -> None:
    calls: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["type"])

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    await RequestContextMiddleware(inner)({"type": "lifespan"}, receive, send)
    assert calls == ["lifespan"]
