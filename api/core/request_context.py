"""Each HTTP request's id and trace span, bound for its log lines (duka/core/log_context.py).

The request id is the client's `X-Request-ID` when it is a short string of safe characters
(duka/core/tracing.py), else a new one; it is echoed in the response's `X-Request-ID` and
problem documents carry it as `request_id`. The request's span joins the caller's trace
when a valid W3C `traceparent` came in, or starts a new trace: the orders it creates store
that `traceparent` with their SMS, and the runner logs it.

Pure ASGI and outermost, so that the gates' 413 and 415 and the 500s carry the header too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from duka.core import log_context
from duka.core.tracing import new_request_id, request_span, valid_request_id

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()
_TRACEPARENT = b"traceparent"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given: str | None = None
        incoming: str | None = None
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                given = value.decode("latin-1")
            elif name == _TRACEPARENT:
                incoming = value.decode("latin-1")
        request_id = valid_request_id(given) or new_request_id()
        span, parent_span_id = request_span(incoming)
        header = (_REQUEST_ID, request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = log_context.bind(
            request_id=request_id,
            trace_id=span.trace_id,
            span_id=span.span_id,
            parent_span_id=parent_span_id,
            traceparent=str(span),
        )
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log_context.reset(token)
