"""W3C Trace Context (`traceparent`) and request ids: parsed, checked and made here.

A request joins the caller's trace when it sends a valid `traceparent`, or starts a new
one; either way the request gets a span id of its own, and its `traceparent` (the trace id,
that span id, the caller's flags) is what the outbox row stores, so that the runner's work
on the SMS is a child of the request that created it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

# version 00 only: https://www.w3.org/TR/trace-context/#traceparent-header
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_INVALID_TRACE_ID = "0" * 32
_INVALID_SPAN_ID = "0" * 16
SAMPLED = "01"

# Request ids from clients end up in log lines and response headers: short, and nothing
# that could break a header, a log line or a shell (no spaces, quotes or control characters).
REQUEST_ID_MAX = 128
_REQUEST_ID = re.compile(rf"^[A-Za-z0-9._~:+/=-]{{1,{REQUEST_ID_MAX}}}$")


@dataclass(frozen=True, slots=True)
class TraceParent:
    trace_id: str
    span_id: str
    flags: str = SAMPLED

    def __str__(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def child(self) -> TraceParent:
        """A new span of the same trace, with the same flags."""
        return TraceParent(self.trace_id, new_span_id(), self.flags)


def new_span_id() -> str:
    return secrets.token_hex(8)


def parse_traceparent(value: str | None) -> TraceParent | None:
    """The header's parts, or None when it is absent or not a valid version-00 value (an
    all-zero trace or parent id is invalid too)."""
    if not value:
        return None
    match = _TRACEPARENT.match(value.strip())
    if match is None:
        return None
    trace_id, parent_id, flags = match.groups()
    if trace_id == _INVALID_TRACE_ID or parent_id == _INVALID_SPAN_ID:
        return None
    return TraceParent(trace_id, parent_id, flags)


def request_span(incoming: str | None) -> tuple[TraceParent, str | None]:
    """The request's own span (a child of a valid incoming `traceparent`, or the root of a
    new trace) and the caller's span id, if any."""
    parent = parse_traceparent(incoming)
    if parent is None:
        return TraceParent(secrets.token_hex(16), new_span_id()), None
    return parent.child(), parent.span_id


def valid_request_id(value: str | None) -> str | None:
    """The client's request id if it is short and of safe characters, else None."""
    if value and _REQUEST_ID.match(value):
        return value
    return None


def new_request_id() -> str:
    return secrets.token_hex(16)
