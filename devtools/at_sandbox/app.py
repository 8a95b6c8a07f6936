"""The sandbox ASGI app: AT's SMS endpoints, with faults applied around them."""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from devtools.at_sandbox.admin import admin_routes, local_only
from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultInjector, RequestFault
from devtools.at_sandbox.messaging import (
    BadRequestError,
    SendRequest,
    decide,
    parse_bulk,
    parse_form,
)
from devtools.at_sandbox.state import SandboxState

UNAUTHORIZED = "The supplied authentication is invalid"
SERVER_ERROR = "Internal Server Error"
GATEWAY_TIMEOUT = "The server was not able to produce a timely response to your request."
# What a reverse proxy (nginx here) in front of the API answers when its upstream failed or
# timed out: HTML, without any of AT's wording.
_PROXY_PAGE = (
    "<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n"
    "<center><h1>{status}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
PROXY_PAGES = {
    "bad_gateway": (502, _PROXY_PAGE.format(status="502 Bad Gateway")),
    "gateway_timeout": (504, _PROXY_PAGE.format(status="504 Gateway Time-out")),
}


class _TooLargeError(Exception):
    pass


class BrokenResponse(Response):
    """Starts an answer and stops: the server then closes the connection mid-response."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"256")]
        await send({"type": "http.response.start", "status": 201, "headers": headers})


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _text(body: str, status: int) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLargeError
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


async def _authorized_body(request: Request, state: SandboxState) -> bytes | Response:
    """The body of a send, or AT's answer when it is too large (413) or the API key is
    wrong (401); the size is checked before the key."""
    try:
        raw = await _read_body(request, state.config.max_body_bytes)
    except _TooLargeError:
        return _text("Request body too large", 413)
    if not _same(request.headers.get("apikey"), state.config.api_key):
        return _text(UNAUTHORIZED, 401)
    return raw


async def send_form(request: Request) -> Response:
    """POST /version1/messaging, as the official SDK calls it."""
    state = _state(request)
    raw = await _authorized_body(request, state)
    if isinstance(raw, Response):
        return raw
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return _text("Request content type must be application/x-www-form-urlencoded", 415)
    try:
        fields = dict(reversed(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
        parsed = parse_form(fields, state.config.max_recipients)
    except UnicodeDecodeError:
        return _text("Request body must be UTF-8", 400)
    except BadRequestError as exc:
        return _text(str(exc), 400)
    return await _send(request, state, parsed)


async def send_bulk(request: Request) -> Response:
    """POST /version1/messaging/bulk with a JSON body."""
    state = _state(request)
    raw = await _authorized_body(request, state)
    if isinstance(raw, Response):
        return raw
    if not request.headers.get("content-type", "").startswith("application/json"):
        return _text("Request content type must be application/json", 415)
    try:
        data = json.loads(raw)
    except ValueError:  # UTF-8 errors included
        return _text("Request body is not JSON", 400)
    try:
        parsed = parse_bulk(data, state.config.max_recipients)
    except BadRequestError as exc:
        return _text(str(exc), 400)
    return await _send(request, state, parsed)


async def _send(request: Request, state: SandboxState, parsed: SendRequest) -> Response:
    if not _same(parsed.username, state.config.username):
        return _text(UNAUTHORIZED, 401)
    faults = state.faults  # one injector for the whole request, even if replaced meanwhile
    if faults.config.latency_s:
        await anyio.sleep(faults.config.latency_s)
    fault = faults.request_fault()
    if fault is not None and not faults.config.fault_after_record:
        return await _fail(request, faults, fault, answer=None)
    outcome = decide(parsed, state.config, faults, state.blacklist)
    for message in outcome.accepted:
        state.inbox.add(message)
    state.reporter.schedule(outcome.accepted)
    answer = JSONResponse(outcome.body, status_code=201)
    if fault is not None:
        return await _fail(request, faults, fault, answer=answer)
    return answer


async def _fail(
    request: Request, faults: FaultInjector, fault: RequestFault, answer: Response | None
) -> Response:
    """Apply a fault. `answer` is the real answer when the message was already recorded."""
    if fault == "error":
        return _text(SERVER_ERROR, 500)
    if fault in PROXY_PAGES:
        status, page = PROXY_PAGES[fault]
        return HTMLResponse(page, status_code=status)
    if fault == "disconnect":
        return BrokenResponse()
    hold = faults.config.timeout_hold_s
    if faults.config.timeout_then == "answer":
        await anyio.sleep(hold)
        return answer if answer is not None else _text(GATEWAY_TIMEOUT, 504)
    with anyio.move_on_after(hold):
        # The body is read, so the only message left is the client hanging up.
        await request.receive()
    return BrokenResponse()


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(config: SandboxConfig | None = None) -> Starlette:
    state = SandboxState(config or SandboxConfig())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await state.reporter.aclose()
        await state.opt_outs.aclose()

    app = Starlette(
        routes=[
            Route("/version1/messaging", local_only(send_form), methods=["POST"]),
            Route("/version1/messaging/bulk", local_only(send_bulk), methods=["POST"]),
            Route("/_sandbox/health", health, methods=["GET"]),
            *admin_routes(),
        ],
        lifespan=lifespan,
    )
    app.state.sandbox = state
    return app
