"""ASGI calls the way uvicorn hands a request to the app, for the in-process benchmarks
(bench.request_cpu): POSTs with a JSON or form body, GETs, `concurrency` at a time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

JSON = b"application/json"
FORM = b"application/x-www-form-urlencoded"


class Driver:
    def __init__(self, app: Any, token: str, bodies: list[bytes]) -> None:
        self.app = app
        self.bodies = bodies
        self.auth = f"Bearer {token}".encode()
        self.statuses: dict[str, int] = {}

    async def call(self, method: str, target: str, body: bytes, content_type: bytes) -> bytes:
        """One request; its answer's body."""
        path, _, query = target.partition("?")
        headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", self.auth)]
        if method == "POST":
            headers += [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        never = asyncio.Event()
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await never.wait()  # the client stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                key = f"{method} {path.split('/')[3]} {message['status']}"
                self.statuses[key] = self.statuses.get(key, 0) + 1
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        if method == "GET":
            await self._get(scope, receive, send)
        elif content_type == FORM:
            await self._form_post(scope, receive, send)
        else:
            await self._json_post(scope, receive, send)
        return b"".join(chunks)

    # One frame name per kind of request, so that a profile (py-spy) of a run tells them
    # apart: each calls the app and does nothing else.
    async def _get(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    async def _form_post(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    async def _json_post(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    async def _many(
        self,
        method: str,
        targets: Sequence[str],
        bodies: Sequence[bytes],
        concurrency: int,
        content_type: bytes,
    ) -> list[bytes]:
        answers: list[bytes] = [b""] * len(targets)
        queue = iter(range(len(targets)))

        async def client() -> None:
            for i in queue:
                answers[i] = await self.call(method, targets[i], bodies[i], content_type)

        await asyncio.gather(*(client() for _ in range(concurrency)))
        return answers

    async def posts(
        self, path: str, bodies: Sequence[bytes], concurrency: int, *, json_body: bool
    ) -> list[str]:
        """POST each body; the ids of what was created (JSON answers with an `id`)."""
        answers = await self._many(
            "POST", [path] * len(bodies), bodies, concurrency, JSON if json_body else FORM
        )
        if not json_body:
            return []
        created = (json.loads(a) for a in answers if a.startswith(b"{"))
        return [str(c["id"]) for c in created if "id" in c]

    async def gets(self, targets: Sequence[str], concurrency: int) -> None:
        await self._many("GET", targets, [b""] * len(targets), concurrency, JSON)
