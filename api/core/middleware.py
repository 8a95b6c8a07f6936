"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task per request on the hot path)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.problems import PROBLEM_JSON, TYPE_PREFIX
from duka.core import log_context
from duka.core.redaction import redact_path

API_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
    # JSON answers never need to load anything: the strictest policy there is.
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)

# The docs pages load their own bundled assets and nothing else (see api/core/docs.py).
DOCS_CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    b"form-action 'none'"
)
DOCS_PATHS = ("/docs",)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = scope["path"].startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                for name, value in API_HEADERS:
                    if name == b"content-security-policy" and is_docs:
                        value = DOCS_CSP
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _problem(status: int, slug: str, title: str, detail: str, path: str) -> tuple[bytes, int]:
    body = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": redact_path(path),
    }
    request_id = log_context.get("request_id")
    if request_id is not None:
        body["request_id"] = request_id
    return json.dumps(body).encode(), status


async def _send_problem(send: Send, payload: tuple[bytes, int]) -> None:
    body, status = payload
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuses bodies over the limit with 413, by Content-Length or while streaming.

    Upload routes get their own, larger limit; everything else gets the JSON limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        default_limit: int,
        upload_limit: int,
        upload_prefixes: Iterable[str],
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.upload_limit = upload_limit
        self.upload_prefixes = tuple(upload_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.upload_limit if path.startswith(self.upload_prefixes) else self.default_limit
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    too_large = _problem(
                        413,
                        "payload-too-large",
                        "Request body too large",
                        f"The body exceeds the limit of {limit} bytes for this endpoint.",
                        path,
                    )
                    await _send_problem(send, too_large)
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes FastAPI's body parsing unchanged and reaches
                    # the problem handler, so streamed bodies get the same 413 document.
                    raise HTTPException(413, "Request body too large")
            return message

        await self.app(scope, limited_receive, send)


class JsonContentTypeMiddleware:
    """415 for a body that is not JSON, except on routes that take other media types."""

    def __init__(self, app: ASGIApp, *, exempt_prefixes: Iterable[str]) -> None:
        self.app = app
        self.exempt_prefixes = tuple(exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("POST", "PUT", "PATCH")
            and not scope["path"].startswith(self.exempt_prefixes)
        ):
            content_type = b""
            # A request without a body (an action such as .../retry) has no media type to
            # check: no Content-Length (or 0) and no Transfer-Encoding.
            has_body = False
            for name, value in scope.get("headers", ()):
                if name == b"content-type":
                    content_type = value.split(b";", 1)[0].strip().lower()
                elif name == b"transfer-encoding" or (
                    name == b"content-length" and value.strip() != b"0"
                ):
                    has_body = True
            if (
                has_body
                and content_type != b"application/json"
                and not content_type.endswith(b"+json")
            ):
                shown = content_type.decode("latin-1") or "none"
                await _send_problem(
                    send,
                    _problem(
                        415,
                        "unsupported-media-type",
                        "Unsupported media type",
                        f"Send application/json (got {shown}).",
                        scope["path"],
                    ),
                )
                return
        await self.app(scope, receive, send)
