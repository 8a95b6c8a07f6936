"""Run the sandbox with uvicorn in a background thread: for tests, and for embedding.

with SandboxServer(SandboxConfig(port=0)) as sandbox:
    sandbox.base_url        # e.g. http://127.0.0.1:49731
    sandbox.state.inbox     # the live inbox, in-process
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn

from devtools.at_sandbox.app import create_app
from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.state import SandboxState

START_TIMEOUT_S = 10.0


class SandboxServer:
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig(port=0)
        self.app = create_app(self.config)
        self.state: SandboxState = self.app.state.sandbox
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host=self.config.host,
                port=self.config.port,
                log_level="warning",
                access_log=False,
                server_header=False,
                lifespan="on",
                # Held (timed-out) requests must not keep a test waiting at shutdown.
                timeout_graceful_shutdown=1,
            )
        )
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.port = self.config.port

    @property
    def base_url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="at-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Africa's Talking sandbox did not start") from self._error
            time.sleep(0.01)
        sockets = self._server.servers[0].sockets
        self.port = int(sockets[0].getsockname()[1])

    def _serve(self) -> None:
        try:
            self._server.run()
        except BaseException as exc:  # uvicorn ends with SystemExit when it cannot bind
            self._error = exc

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT_S)
            self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
