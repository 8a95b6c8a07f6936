"""The pure ASGI middleware, called directly with fake receive/send callables."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from api.core.middleware import (
    DOCS_CSP,
    BodyLimitMiddleware,
    JsonContentTypeMiddleware,
    SecurityHeadersMiddleware,
)

pytestmark = pytest.mark.anyio


def http_scope(
    method: str = "POST",
    path: str = "/api/v1/customers",
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> Scope:
    return {"type": "http", "method": method, "path": path, "headers": list(headers)}


class Recorder:
    """An inner app that reads the whole body and answers 200 with its own headers."""

    def __init__(self, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.called = False
        self.body = b""
        self.headers = headers or [(b"content-type", b"application/json")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        if scope["type"] == "http" and scope["method"] != "GET":
            while True:
                message = await receive()
                self.body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": b"{}"})


def body_messages(*chunks: bytes) -> Receive:
    queue: list[Message] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> Message:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    return receive


class Sent:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])

    @property
    def json(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


async def test_security_headers_are_added_to_api_answers() -> None:
    sent = Sent()
    await SecurityHeadersMiddleware(Recorder())(
        http_scope("GET", "/api/v1/x"), body_messages(), sent
    )
    headers = sent.headers
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"x-frame-options"] == b"DENY"
    assert headers[b"referrer-policy"] == b"no-referrer"
    assert headers[b"content-security-policy"] == b"default-src 'none'; frame-ancestors 'none'"
    assert headers[b"content-type"] == b"application/json"
    assert sent.messages[1]["body"] == b"{}"


async def test_docs_paths_get_the_docs_policy() -> None:
    sent = Sent()
    await SecurityHeadersMiddleware(Recorder())(
        http_scope("GET", "/docs/vendor/x.js"), body_messages(), sent
    )
    csp = sent.headers[b"content-security-policy"]
    assert csp == DOCS_CSP
    assert b"unsafe-inline" not in csp
    assert b"frame-ancestors 'none'" in csp


async def test_headers_the_app_set_itself_are_kept() -> None:
    sent = Sent()
    app = Recorder([(b"cache-control", b"public, max-age=60")])
    await SecurityHeadersMiddleware(app)(http_scope("GET", "/x"), body_messages(), sent)
    assert [v for k, v in sent.messages[0]["headers"] if k == b"cache-control"] == [
        b"public, max-age=60"
    ]


async def test_non_http_scopes_pass_untouched() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await send({"type": "lifespan.startup.complete"})

    sent = Sent()
    scope: Scope = {"type": "lifespan"}
    await SecurityHeadersMiddleware(app)(scope, body_messages(), sent)
    await BodyLimitMiddleware(app, default_limit=1, upload_limit=1, upload_prefixes=[])(
        scope, body_messages(), sent
    )
    await JsonContentTypeMiddleware(app, exempt_prefixes=[])(scope, body_messages(), sent)
    assert len(seen) == 3
    assert sent.messages == [{"type": "lifespan.startup.complete"}] * 3


def limiter(app: Any, default: int = 10, upload: int = 100) -> BodyLimitMiddleware:
    return BodyLimitMiddleware(
        app, default_limit=default, upload_limit=upload, upload_prefixes=["/api/v1/uploads"]
    )


async def test_declared_length_over_the_limit_is_refused_without_calling_the_app() -> None:
    app, sent = Recorder(), Sent()
    scope = http_scope(headers=[(b"content-length", b"11")])
    await limiter(app)(scope, body_messages(b"x" * 11), sent)
    assert not app.called
    assert sent.status == 413
    assert sent.headers[b"content-type"] == b"application/problem+json"
    assert int(sent.headers[b"content-length"]) == len(sent.messages[1]["body"])
    problem = sent.json
    assert problem["type"] == "urn:duka:problem:payload-too-large"
    assert problem["instance"] == "/api/v1/customers"
    assert "10 bytes" in problem["detail"]


async def test_body_at_the_limit_passes() -> None:
    app, sent = Recorder(), Sent()
    scope = http_scope(headers=[(b"content-length", b"10")])
    await limiter(app)(scope, body_messages(b"x" * 4, b"x" * 6), sent)
    assert app.body == b"x" * 10
    assert sent.status == 200


async def test_streamed_body_over_the_limit_raises_413_while_reading() -> None:
    app = Recorder()
    with pytest.raises(HTTPException) as caught:
        await limiter(app)(http_scope(), body_messages(b"x" * 6, b"x" * 6), Sent())
    assert caught.value.status_code == 413
    assert app.body == b"x" * 6  # the first chunk was delivered, the second never was


async def test_unparseable_content_length_falls_back_to_counting() -> None:
    app = Recorder()
    scope = http_scope(headers=[(b"content-length", b"lots")])
    with pytest.raises(HTTPException):
        await limiter(app)(scope, body_messages(b"x" * 11), Sent())
    assert app.called


async def test_upload_routes_get_their_own_limit() -> None:
    app, sent = Recorder(), Sent()
    scope = http_scope(path="/api/v1/uploads/orders", headers=[(b"content-length", b"50")])
    await limiter(app)(scope, body_messages(b"x" * 50), sent)
    assert sent.status == 200
    refused = Sent()
    scope = http_scope(path="/api/v1/uploads/orders", headers=[(b"content-length", b"101")])
    await limiter(Recorder())(scope, body_messages(b"x" * 101), refused)
    assert refused.status == 413
    assert "100 bytes" in refused.json["detail"]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "DELETE"])
async def test_bodiless_methods_are_not_limited(method: str) -> None:
    app, sent = Recorder(), Sent()
    scope = http_scope(method=method, headers=[(b"content-length", b"999")])
    await limiter(app)(scope, body_messages(), sent)
    assert app.called
    assert sent.status == 200


async def test_disconnect_messages_pass_through_the_limit() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(await receive())

    await limiter(app)(http_scope(), body_messages(), Sent())
    assert received == [{"type": "http.disconnect"}]


def json_gate(app: Any) -> JsonContentTypeMiddleware:
    return JsonContentTypeMiddleware(app, exempt_prefixes=["/api/v1/uploads"])


@pytest.mark.parametrize(
    "content_type",
    [
        b"application/json",
        b"application/json; charset=utf-8",
        b"APPLICATION/JSON",
        b"application/problem+json",
        b"application/merge-patch+json ; q=1",
    ],
)
async def test_json_media_types_pass(content_type: bytes) -> None:
    app, sent = Recorder(), Sent()
    await json_gate(app)(
        http_scope(headers=[(b"content-type", content_type)]), body_messages(b"{}"), sent
    )
    assert app.called
    assert sent.status == 200


@pytest.mark.parametrize(
    ("headers", "shown"),
    [
        ([(b"content-type", b"text/plain")], "text/plain"),
        ([(b"content-type", b"application/jsonp")], "application/jsonp"),
        ([(b"content-type", b"multipart/form-data; boundary=x")], "multipart/form-data"),
        ([], "none"),
    ],
)
@pytest.mark.parametrize("framing", [(b"content-length", b"1"), (b"transfer-encoding", b"chunked")])
async def test_other_media_types_are_415(
    headers: list[tuple[bytes, bytes]], shown: str, framing: tuple[bytes, bytes]
) -> None:
    app, sent = Recorder(), Sent()
    for method in ("POST", "PUT", "PATCH"):
        scope = http_scope(method, headers=[*headers, framing])
        await json_gate(app)(scope, body_messages(b"x"), sent)
    assert not app.called
    statuses = [m["status"] for m in sent.messages if m["type"] == "http.response.start"]
    assert statuses == [415, 415, 415]
    problem = json.loads(sent.messages[1]["body"])
    assert problem["type"] == "urn:duka:problem:unsupported-media-type"
    assert problem["detail"] == f"Send application/json (got {shown})."


@pytest.mark.parametrize("length", [[], [(b"content-length", b"0")]])
async def test_a_post_without_a_body_needs_no_media_type(
    length: list[tuple[bytes, bytes]],
) -> None:
    app, sent = Recorder(), Sent()
    await json_gate(app)(http_scope("POST", headers=length), body_messages(b""), sent)
    assert app.called
    assert sent.status == 200


async def test_exempt_prefixes_and_bodiless_methods_skip_the_media_type_check() -> None:
    app = Recorder()
    plain = [(b"content-type", b"text/csv"), (b"content-length", b"1")]
    await json_gate(app)(
        http_scope(path="/api/v1/uploads/orders", headers=plain), body_messages(b"a"), Sent()
    )
    assert app.called
    other = Recorder()
    await json_gate(other)(http_scope("GET", headers=plain), body_messages(), Sent())
    assert other.called
