"""Sandbox controls under /_sandbox: faults (GET, POST to replace, DELETE to reset), the
inbox (JSON, HTML, DELETE to empty), and opt-outs (POST opt-out / opt-in, GET blacklist).
Changes need a JSON body, which a foreign web page cannot send without a CORS preflight the
sandbox never grants.

DNS rebinding would get around that: a page from a name the attacker points at 127.0.0.1
after it loaded is same-origin with the sandbox, and could read the inbox and set faults.
Its requests still carry the attacker's name in `Host`, so the controls answer only
requests addressed to a loopback name or address with the port they arrived on. The send
endpoints check it too (app.py): the sandbox's API key is public, and a rebound page could
otherwise put messages in the inbox. Only /_sandbox/health answers any Host.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.inbox_html import HEADERS, render_inbox
from devtools.at_sandbox.loopback import is_loopback

if TYPE_CHECKING:
    from devtools.at_sandbox.state import SandboxState

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _faults_json(state: SandboxState) -> JSONResponse:
    return JSONResponse(state.faults.config.model_dump(mode="json", by_alias=True))


async def get_faults(request: Request) -> Response:
    return _faults_json(_state(request))


async def set_faults(request: Request) -> Response:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"error": "send application/json"}, status_code=415)
    try:
        faults = FaultConfig.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = [
            {"loc": [str(part) for part in e["loc"]], "msg": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        return JSONResponse({"error": "invalid fault config", "errors": errors}, 400)
    state = _state(request)
    state.set_faults(faults)
    return _faults_json(state)


async def reset_faults(request: Request) -> Response:
    state = _state(request)
    state.reset_faults()
    return _faults_json(state)


def _query(request: Request) -> tuple[str | None, int]:
    number = request.query_params.get("number") or None
    raw = request.query_params.get("limit", "")
    limit = int(raw) if raw.isdigit() else DEFAULT_LIMIT
    return number, max(1, min(limit, MAX_LIMIT))


async def get_inbox(request: Request) -> Response:
    state = _state(request)
    number, limit = _query(request)
    messages = state.inbox.find(number=number, limit=limit)
    return JSONResponse(
        {
            "count": state.inbox.count(number),
            "acceptedTotal": state.inbox.accepted_total,
            "evicted": state.inbox.evicted,
            "messages": [m.to_json() for m in messages],
        }
    )


async def get_inbox_html(request: Request) -> Response:
    state = _state(request)
    number, limit = _query(request)
    page = render_inbox(
        state.inbox.find(number=number, limit=limit), state.inbox.count(number), number
    )
    return HTMLResponse(page, headers=HEADERS)


async def clear_inbox(request: Request) -> Response:
    _state(request).inbox.clear()
    return Response(status_code=204)


async def _number_of(request: Request) -> tuple[str, str | None] | Response:
    """The control's JSON body: {"phoneNumber": "+254…", "senderId": "…"}, or an error."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"error": "send application/json"}, status_code=415)
    try:
        body = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "body is not JSON"}, status_code=400)
    number = body.get("phoneNumber") if isinstance(body, dict) else None
    sender = body.get("senderId") if isinstance(body, dict) else None
    if not isinstance(number, str) or not number.startswith("+"):
        return JSONResponse({"error": "phoneNumber must be an E.164 number"}, status_code=400)
    if sender is not None and not isinstance(sender, str):
        return JSONResponse({"error": "senderId must be a string"}, status_code=400)
    return number, sender


async def opt_out(request: Request) -> Response:
    """The customer opts out: blacklisted, and the opt-out callback notified."""
    parsed = await _number_of(request)
    if isinstance(parsed, Response):
        return parsed
    number, sender = parsed
    state = _state(request)
    state.blacklist.add(number)
    notified = await state.opt_outs.notify(number, sender)
    return JSONResponse({"blacklisted": state.blacklist.numbers(), "notified": notified})


async def opt_in(request: Request) -> Response:
    """The customer opts back in: sends to the number are accepted again."""
    parsed = await _number_of(request)
    if isinstance(parsed, Response):
        return parsed
    state = _state(request)
    removed = state.blacklist.remove(parsed[0])
    return JSONResponse({"blacklisted": state.blacklist.numbers(), "removed": removed})


async def get_blacklist(request: Request) -> Response:
    return JSONResponse({"blacklisted": _state(request).blacklist.numbers()})


def addressed_to_us(request: Request) -> bool:
    """`Host` names a loopback host with the port this request arrived on."""
    host = request.headers.get("host", "")
    server = request.scope.get("server")
    if not host or not server or server[1] is None:
        return False
    name, sep, port = host.rpartition(":")
    if not sep or not port.isdigit() or int(port) != int(server[1]):
        return False
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    elif ":" in name:
        return False  # an IPv6 address must be bracketed
    return is_loopback(name.lower())


Endpoint = Callable[[Request], Awaitable[Response]]


def local_only(endpoint: Endpoint) -> Endpoint:
    async def checked(request: Request) -> Response:
        if not addressed_to_us(request):
            return JSONResponse(
                {"error": "sandbox controls answer only requests to a loopback host:port"},
                status_code=403,
            )
        return await endpoint(request)

    return checked


def admin_routes() -> list[Route]:
    routes: list[tuple[str, Endpoint, list[str]]] = [
        ("/_sandbox/faults", get_faults, ["GET"]),
        ("/_sandbox/faults", set_faults, ["POST", "PUT"]),
        ("/_sandbox/faults", reset_faults, ["DELETE"]),
        ("/_sandbox/inbox", get_inbox, ["GET"]),
        ("/_sandbox/inbox", clear_inbox, ["DELETE"]),
        ("/_sandbox/inbox.html", get_inbox_html, ["GET"]),
        ("/_sandbox/opt-out", opt_out, ["POST"]),
        ("/_sandbox/opt-in", opt_in, ["POST"]),
        ("/_sandbox/blacklist", get_blacklist, ["GET"]),
    ]
    return [
        Route(path, local_only(endpoint), methods=methods) for path, endpoint, methods in routes
    ]
