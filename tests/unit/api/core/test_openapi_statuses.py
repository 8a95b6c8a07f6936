"""Every status a route can answer is in its OpenAPI responses (issue 11, Low).

Walks every /api/v1 operation: the statuses that the middleware, FastAPI's request parsing
and the route's own dependencies can produce must be documented there. Then sends each
body-taking route the bodies that trip those layers and checks the answer is documented.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from api.main import API_PREFIX, UPLOAD_PREFIX, WEBHOOK_PREFIX, create_app
from duka.core.settings import Settings
from tests.support.api_routes import ALL_API_ROUTES, ApiRoute, _calls

pytestmark = pytest.mark.anyio

SPEC: dict[str, Any] = create_app(Settings()).openapi()
WITH_BODY = {"POST", "PUT", "PATCH"}


def operation(route: ApiRoute) -> dict[str, Any]:
    op: dict[str, Any] = SPEC["paths"][route.path][route.method.lower()]
    return op


def declared_statuses(route: ApiRoute) -> set[int]:
    """What dependencies declare they can answer (e.g. a rate limit's 429)."""
    for context in iter_route_contexts(create_app(Settings()).routes):
        if context.path == route.path and route.method in (context.methods or ()):
            return {
                status
                for call in _calls(context.dependant)
                for status in getattr(call, "openapi_statuses", ())
            }
    raise AssertionError(f"no route {route.id}")


def expected_statuses(route: ApiRoute) -> set[int]:
    op = operation(route)
    params = {p["in"] for p in op.get("parameters", [])}
    names = {p["name"] for p in op.get("parameters", [])}
    expected = {503}  # the database (and, for bearer routes, the identity provider)
    if route.callback_secret:
        expected |= {401, 404}  # a wrong secret; the callback switched off
    else:
        expected |= {401, 403}
    if route.method in WITH_BODY:
        expected.add(413)  # the body limit applies whatever the route reads
        if not route.path.startswith((UPLOAD_PREFIX, WEBHOOK_PREFIX)):
            expected.add(415)  # JSON only, checked before routing
        if "requestBody" in op:
            expected |= {400, 422}  # unreadable (not UTF-8), or not valid for the schema
    if params & {"path", "query"} or "requestBody" in op:
        expected.add(422)
    if "path" in params:
        expected.add(404)
    if "Idempotency-Key" in names:
        expected.add(409)  # the same key still in flight
    return expected | declared_statuses(route)


def documented(route: ApiRoute) -> set[int]:
    return {int(s) for s in operation(route)["responses"] if s.isdigit()}


@pytest.mark.parametrize("route", ALL_API_ROUTES, ids=lambda r: r.id)
def test_every_status_a_route_can_answer_is_documented(route: ApiRoute) -> None:
    missing = expected_statuses(route) - documented(route)
    assert missing == set(), f"{route.id} does not document {sorted(missing)}"


@pytest.mark.parametrize("route", ALL_API_ROUTES, ids=lambda r: r.id)
def test_error_statuses_are_problem_documents_and_503_says_when_to_retry(
    route: ApiRoute,
) -> None:
    responses = operation(route)["responses"]
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            assert "application/problem+json" in response["content"], (route.id, status)
            assert response["description"], (route.id, status)
    assert "Retry-After" in responses["503"]["headers"]


def hostile_bodies() -> Iterator[tuple[str, bytes, dict[str, str]]]:
    yield "not JSON", b'{"name": ', {"content-type": "application/json"}
    yield "not UTF-8", b'{"name": "\xff\xfe"}', {"content-type": "application/json"}
    yield "UTF-16 garbage", b"\xff\xfe\x00\xd8", {"content-type": "application/json"}
    yield "wrong media type", b"name=x", {"content-type": "application/x-www-form-urlencoded"}
    yield (
        "declared too large",
        b"{}",
        {"content-type": "application/json", "content-length": str(1 << 40)},
    )


BODY_ROUTES = [r for r in ALL_API_ROUTES if r.method in WITH_BODY]


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.id)
async def test_unreadable_bodies_get_documented_answers(route: ApiRoute) -> None:
    app = create_app(Settings())  # no database: every probe must stop before one
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
        for name, body, headers in hostile_bodies():
            r = await c.request(route.method, route.url(), content=body, headers=headers)
            assert r.status_code in documented(route), (name, r.status_code, r.text)
            assert r.status_code < 500, (name, r.text)
            assert r.headers["content-type"] == "application/problem+json", name


async def test_a_body_that_is_not_utf8_is_a_problem_naming_the_body() -> None:
    app = create_app(Settings())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
        r = await c.post(
            f"{API_PREFIX}/customers",
            content=b'{"name": "\xff"}',
            headers={"content-type": "application/json"},
        )
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == "urn:duka:problem:malformed-body"
    assert body["errors"][0]["field"] == "body"
    assert "UTF-8" in body["errors"][0]["message"]
