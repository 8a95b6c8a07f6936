"""Fields that every log line of a unit of work carries: the request id and trace of an
HTTP request, the order reference and traceparent of the SMS being sent.

One context variable holds them, so asyncio tasks and threads started from a request or a
send inherit them, and nothing has to pass them along by hand. `duka.core.logs` adds them
to each record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType

_EMPTY: Mapping[str, str] = MappingProxyType({})
_fields: ContextVar[Mapping[str, str]] = ContextVar("duka_log_fields", default=_EMPTY)


def current() -> Mapping[str, str]:
    """The fields bound in this context (read-only)."""
    return _fields.get()


def get(name: str) -> str | None:
    return _fields.get().get(name)


def bind(**fields: str | None) -> Token[Mapping[str, str]]:
    """Add `fields` (None values are left out) to this context; `reset` undoes it."""
    merged = dict(_fields.get())
    merged.update({k: v for k, v in fields.items() if v is not None})
    return _fields.set(MappingProxyType(merged))


def reset(token: Token[Mapping[str, str]]) -> None:
    _fields.reset(token)


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """`fields` on every log line inside the block."""
    token = bind(**fields)
    try:
        yield
    finally:
        _fields.reset(token)
