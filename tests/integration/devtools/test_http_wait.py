"""wait_for_http against real local servers and processes."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from devtools.http_wait import NotReadyError, wait_for_http


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ready" else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_server_answering_200_is_ready(server: str) -> None:
    wait_for_http(f"{server}/ready", timeout_s=5)


def test_a_server_that_never_answers_200_times_out(server: str) -> None:
    with pytest.raises(NotReadyError, match=r"did not answer at .*/starting within 1 s"):
        wait_for_http(f"{server}/starting", timeout_s=1, interval_s=0.05)


def test_a_server_process_that_exits_fails_at_once() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    with pytest.raises(NotReadyError, match=r"the sandbox exited \(code 3\)"):
        wait_for_http("http://127.0.0.1:9/", timeout_s=30, process=process, what="sandbox")
