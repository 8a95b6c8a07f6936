from __future__ import annotations

import socket

import httpx
import pytest

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.runner import SandboxServer


def test_the_server_starts_on_a_free_port_and_stops() -> None:
    server = SandboxServer()
    with server:
        assert server.port != 0
        assert httpx.get(server.base_url + "/_sandbox/health").json() == {"status": "ok"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/_sandbox/health", timeout=1)
    server.stop()  # stopping twice is harmless


def test_a_port_in_use_fails_loudly() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match="did not start") as failed:
            SandboxServer(SandboxConfig(port=port)).start()
    assert isinstance(failed.value.__cause__, SystemExit)


def test_ipv6_loopback_urls_are_bracketed() -> None:
    assert SandboxServer(SandboxConfig(host="::1", port=0)).base_url.startswith("http://[::1]:")
