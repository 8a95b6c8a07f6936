"""A real headless browser for tests: Debian's chromium, driven over the DevTools protocol.

Just what page tests need: open a URL, run JavaScript in the page, wait for a condition,
and every console message, CSP report and uncaught exception the page produced. The
protocol is spoken directly over its WebSocket (websockets' sync client, already locked),
so no browser-driver package is needed. `chromium()` finds the binary (DUKA_CHROMIUM, then
chromium, chromium-browser, google-chrome on PATH); a test without one skips, except in CI
(CI=true) where it fails.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect
from websockets.sync.connection import Connection

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# Recorded by a script the browser itself adds to every document (not subject to its CSP).
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def chromium() -> str:
    """The browser binary, or a skip (a failure under CI=true) naming how to get one."""
    configured = os.environ.get("DUKA_CHROMIUM")
    found = configured or next(filter(None, map(shutil.which, CANDIDATES)), None)
    if found:
        return found
    message = "no chromium: apt-get install chromium (or set DUKA_CHROMIUM)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Page:
    """One tab, attached in flat mode: commands carry its session id."""

    ws: Connection
    session: str
    timeout: float = 60.0
    events: list[dict[str, Any]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        call_id = next(self._ids)
        message = {"id": call_id, "method": method, "params": params or {}}
        self.ws.send(json.dumps(message | {"sessionId": self.session}))
        deadline = time.monotonic() + self.timeout
        while True:
            answer = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if answer.get("id") == call_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            if "method" in answer:
                self.events.append(answer)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float | None = None) -> Any:
        """Poll until the expression is truthy (navigations in between are fine)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = self.evaluate(expression)
            except RuntimeError as exc:  # the page is between documents
                last = exc
            if last and not isinstance(last, RuntimeError):
                return last
            time.sleep(0.2)
        console = "\n".join(self.console())
        raise AssertionError(
            f"timed out waiting for {expression!r} (last: {last!r}); the console:\n{console}"
        )

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})

    def console(self) -> list[str]:
        """Every console message, log entry and uncaught exception so far, as text."""
        self.evaluate("1")  # drain events that arrived meanwhile
        lines = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Log.entryAdded":
                entry = params["entry"]
                lines.append(f"{entry['level']} {entry.get('url', '')} {entry['text']}")
            elif event["method"] == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                lines.append(f"{params['type']} {text}")
            elif event["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                described = details.get("exception", {}).get("description", "")
                lines.append(f"exception {details.get('text', '')} {described}")
        return lines


@contextmanager
def browser_page(timeout: float = 60.0) -> Iterator[Page]:
    """A fresh headless chromium (its own profile, removed after) with one tab open."""
    binary = chromium()
    profile = Path(tempfile.mkdtemp(prefix="duka-chromium-"))
    process = subprocess.Popen(
        [
            binary,
            "--headless=new",
            "--no-sandbox",  # tests run as root in CI's containers
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not port_file.is_file() or len(port_file.read_text().splitlines()) < 2:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{binary} did not start (exit {process.poll()})")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        with connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as ws:
            ws.send(json.dumps({"id": 0, "method": "Target.createTarget", "params": {"url": ""}}))
            target = _answer(ws, 0, timeout)["targetId"]
            ws.send(
                json.dumps(
                    {
                        "id": -1,
                        "method": "Target.attachToTarget",
                        "params": {"targetId": target, "flatten": True},
                    }
                )
            )
            page = Page(ws, _answer(ws, -1, timeout)["sessionId"], timeout)
            for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
                page.send(domain)
            page.send("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_CSP})
            yield page
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _answer(ws: Connection, call_id: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        answer = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if answer.get("id") == call_id:
            if "error" in answer:
                raise RuntimeError(str(answer["error"]))
            result: dict[str, Any] = answer["result"]
            return result
