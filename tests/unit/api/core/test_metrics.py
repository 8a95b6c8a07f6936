"""Request metrics: labelled by the matched route's template, never by the raw path."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prometheus_client import REGISTRY

from api.core.metrics import UNMATCHED, RequestMetricsMiddleware
from api.main import create_app
from duka.core.settings import Settings

pytestmark = pytest.mark.anyio


def requests_of(route: str, method: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "duka_http_requests_total", {"route": route, "method": method, "status": status}
    )
    return value or 0.0


def latency_count(route: str, method: str) -> float:
    value = REGISTRY.get_sample_value(
        "duka_http_request_duration_seconds_count", {"route": route, "method": method}
    )
    return value or 0.0


def small_app() -> RequestMetricsMiddleware:
    app = FastAPI()
    nested = APIRouter(prefix="/orders")

    @nested.get("/{order_id}")
    async def order(order_id: int) -> dict[str, int]:
        return {"id": order_id}

    app.include_router(nested, prefix="/api/v1")

    @app.get("/things/{thing_id}")
    async def thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    return RequestMetricsMiddleware(app)


async def test_requests_are_labelled_by_route_template() -> None:
    app = small_app()
    before = requests_of("/things/{thing_id}", "GET", "200")
    before_latency = latency_count("/things/{thing_id}", "GET")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for n in range(3):
            assert (await c.get(f"/things/{n}")).status_code == 200
        assert (await c.get("/things/x")).status_code == 422
    assert requests_of("/things/{thing_id}", "GET", "200") == before + 3
    assert requests_of("/things/{thing_id}", "GET", "422") >= 1
    assert latency_count("/things/{thing_id}", "GET") == before_latency + 4
    assert (
        REGISTRY.get_sample_value(
            "duka_http_requests_total", {"route": "/things/1", "method": "GET", "status": "200"}
        )
        is None
    )


async def test_included_routers_give_the_full_template() -> None:
    app = small_app()
    before = requests_of("/api/v1/orders/{order_id}", "GET", "200")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/api/v1/orders/7")).status_code == 200
    assert requests_of("/api/v1/orders/{order_id}", "GET", "200") == before + 1
    assert requests_of("/orders/{order_id}", "GET", "200") == 0


async def test_unmatched_paths_share_one_label() -> None:
    app = small_app()
    before = requests_of(UNMATCHED, "GET", "404")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/nothing/here/1")).status_code == 404
        assert (await c.get("/nothing/here/2")).status_code == 404
    assert requests_of(UNMATCHED, "GET", "404") == before + 2


async def test_an_escaping_exception_counts_as_500() -> None:
    app = small_app()
    before = requests_of("/boom", "GET", "500")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    ) as c:
        assert (await c.get("/boom")).status_code == 500
    assert requests_of("/boom", "GET", "500") == before + 1


def test_the_app_measures_only_when_enabled() -> None:
    on = create_app(Settings(metrics_enabled=True)).build_middleware_stack()
    off = create_app(Settings()).build_middleware_stack()
    assert isinstance(on, RequestMetricsMiddleware)
    assert not isinstance(off, RequestMetricsMiddleware)


async def test_unknown_methods_share_one_label() -> None:
    app = small_app()
    before = requests_of(UNMATCHED, "other", "404") + requests_of(
        "/things/{thing_id}", "other", "405"
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        await c.request("FROB", "/things/1")
        await c.request("ZAP", "/things/2")
    after = requests_of(UNMATCHED, "other", "404") + requests_of(
        "/things/{thing_id}", "other", "405"
    )
    assert after == before + 2
    assert requests_of("/things/{thing_id}", "FROB", "405") == 0
