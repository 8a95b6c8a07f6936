"""The API's Prometheus metrics: requests, latency, database pool (docs/operations.md).

Recorded in every uvicorn worker and summed by the metrics server of `duka serve`
(duka/metrics/multiprocess.py). The request middleware is pure ASGI and caches the labelled
children, so a request costs two clock reads, one dict lookup and two value updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from duka.db.engine import Database

UNMATCHED = "<unmatched>"
# A client chooses the method: any other is counted as "other", so it cannot grow the series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "duka_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "duka_http_request_duration_seconds",
    "Time from the request reaching the app to the end of its answer, by route template "
    "and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
POOL_IN_USE = Gauge(
    "duka_db_pool_in_use",
    "Database connections checked out of the workers' pools (sampled).",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "duka_db_pool_size",
    "Database connections the workers' pools hold, idle or in use (sampled).",
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "duka_db_pool_waiting",
    "Requests waiting for a database connection in the workers' pools (sampled).",
    multiprocess_mode="livesum",
)


def route_of(scope: Scope) -> str:
    """The matched route's template (`/api/v1/orders/{order_id}`), never the raw path: raw
    paths would make one series per id.

    FastAPI (0.150) matches included routers level by level and leaves the router-local
    route in `scope["route"]` (`/orders/{order_id}`); the full template is on the effective
    route it records in its own scope entry, which is read first. tests/unit/api/core/
    test_metrics.py pins both forms, so a FastAPI change shows there."""
    fastapi_scope = scope.get("fastapi")
    if isinstance(fastapi_scope, dict):
        template = getattr(fastapi_scope.get("effective_route_context"), "path_format", None)
        if isinstance(template, str) and template:
            return template
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else UNMATCHED


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self._clock = clock
        # (route, method, status) -> the labelled children: labels() takes a lock per call.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self._clock()
        status = 500  # an exception that escapes every handler is answered 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = scope["method"]
            self._record(
                route_of(scope),
                method if method in METHODS else "other",
                status,
                self._clock() - started,
            )

    def _record(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                REQUESTS.labels(route, method, str(status)),
                LATENCY.labels(route, method),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


def sample_pool(db: Database) -> None:
    pool = db.engine.pool
    checked_out = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    if callable(checked_out):
        POOL_IN_USE.set(checked_out())
    if callable(size) and callable(checked_out):
        overflow = getattr(pool, "overflow", lambda: 0)()
        POOL_SIZE.set(size() + max(overflow, 0))
    POOL_WAITING.set(_waiting(pool))


def _waiting(pool: object) -> int:
    # SQLAlchemy has no public count of waiters; its async queue keeps asyncio's getters.
    queue = getattr(getattr(pool, "_pool", None), "_queue", None)
    getters = getattr(queue, "_getters", None)
    return sum(1 for g in getters if not g.done()) if getters is not None else 0


async def sample_pool_forever(db_of: Callable[[], Database | None], every_s: float) -> None:
    """Each worker's sampler, a task of its lifespan."""
    while True:
        db = db_of()
        if db is not None:
            with contextlib.suppress(Exception):  # a metric never takes the worker down
                sample_pool(db)
        await asyncio.sleep(every_s)
