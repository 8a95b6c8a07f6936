"""A tiny local HTTP server that collects delivery-report callbacks (form POSTs)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


class ReportReceiver:
    def __init__(self) -> None:
        self.reports: list[dict[str, str]] = []
        self.content_types: list[str] = []
        self.fail_first = 0  # answer this many POSTs with 500 first
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length).decode()
                with receiver._lock:
                    failing = receiver.fail_first > 0
                    if failing:
                        receiver.fail_first -= 1
                    else:
                        receiver.reports.append(dict(parse_qsl(body)))
                        receiver.content_types.append(self.headers.get("content-type", ""))
                self.send_response(500 if failing else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/at/reports"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.reports) >= count:
                    return list(self.reports)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} report(s), got {len(self.reports)}")

    def __enter__(self) -> ReportReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
