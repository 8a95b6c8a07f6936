"""Metric values kept in memory and written to the multiprocess files once a second.

Why (a speed trick must earn its place): in multiprocess mode prometheus_client writes
every `inc`, `set` and `observe` straight into the process's memory-mapped file, each
under one process-wide lock, with an `os.getpid()` system call (to notice a fork) and a
struct pack into the map. A POST /orders makes four such writes (the request counter, the
latency histogram's sum and bucket, the token counter). Measured in process
(`python -m bench.metrics_cost`, CPU per request through the API's ASGI stack, best of
rounds, 2026-12-05 on the shared 2-core machine; docs/benchmarks.md, "6b"): an update
costs 0.68-0.73 µs through the file and 0.29-0.30 µs in memory; a request 92.5-100.1 µs
with metrics off, 103.9-108.0 µs with them on through the files, 97.7-98.0 µs buffered.
Metrics cost about 1% of a POST /orders' 1,020 µs of CPU either way; buffering saves
0.2-0.5% of it.

How: `install()` replaces prometheus_client's value class in a process that records into
PROMETHEUS_MULTIPROC_DIR. Each value keeps its number in memory behind a lock of its own
(what single-process mode does), and owns the file-backed value prometheus_client would
have used, which a daemon thread writes every `interval_s` when the number changed;
`flush()` writes them at once, and runs at exit. A file holds its process's absolute
values, so a write is idempotent: nothing is lost between writes, the parent's sum at a
scrape is at most one interval old, and only a process killed outright (SIGKILL) loses
its last interval. Values created before `install()` (a library's metrics imported first)
stay file-backed, through the same prometheus_client files and lock: both kinds mix.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

from prometheus_client import values

ENV = "PROMETHEUS_MULTIPROC_DIR"
INTERVAL_S = 1.0

# Every buffered value of this process, in creation order (the flusher's list).
_values: list[BufferedValue] = []
_values_lock = threading.Lock()
# One writer at a time (the flusher, an exit, a test): a write reads the value it writes
# inside this lock, so an older number never lands after a newer one.
_flush_lock = threading.Lock()
_flusher: _Flusher | None = None


class BufferedValue:
    """A float in memory, written through to `inner` (prometheus_client's file-backed
    value) by `flush`. The constructor's signature is prometheus_client's ValueClass's."""

    _multiprocess = True
    inner_class: Any = None  # set on the subclass `install()` makes

    def __init__(
        self,
        typ: str,
        metric_name: str,
        name: str,
        labelnames: Any,
        labelvalues: Any,
        help_text: str,
        **kwargs: Any,
    ) -> None:
        # Creating the inner value adds its key to the file at once, so a new series is
        # scraped (as 0) right away, as in prometheus_client's own mode.
        self._inner = self.inner_class(
            typ, metric_name, name, labelnames, labelvalues, help_text, **kwargs
        )
        self._lock = threading.Lock()
        self._value: float = self._inner.get()
        self._timestamp = 0.0
        self._written = (self._value, self._timestamp)
        with _values_lock:
            _values.append(self)

    def inc(self, amount: float) -> None:
        with self._lock:
            self._value += amount

    def set(self, value: float, timestamp: float | None = None) -> None:
        with self._lock:
            self._value = value
            self._timestamp = timestamp or 0.0

    def get(self) -> float:
        with self._lock:
            return self._value

    def set_exemplar(self, exemplar: object) -> None:
        return  # multiprocess mode keeps no exemplars

    def get_exemplar(self) -> None:
        return None

    def write(self) -> None:
        with self._lock:
            current = (self._value, self._timestamp)
        if current != self._written:
            self._inner.set(*current)
            self._written = current

    def reset_after_fork(self) -> None:
        # The child writes its own file (prometheus_client re-reads it after a fork):
        # counting the parent's numbers again there would double them in the sum.
        self._lock = threading.Lock()
        self._value = self._inner.get()
        self._timestamp = 0.0
        self._written = (self._value, self._timestamp)


def flush() -> None:
    """Write every changed value to the files now."""
    with _values_lock:
        pending = list(_values)
    with _flush_lock:
        for value in pending:
            value.write()


class _Flusher(threading.Thread):
    def __init__(self, interval_s: float) -> None:
        super().__init__(name="duka-metrics-flush", daemon=True)
        self.interval_s = interval_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            flush()


def install(interval_s: float = INTERVAL_S) -> bool:
    """Buffer the metric values this process creates from now on, when it records into a
    multiprocess directory; False (nothing done) otherwise. Idempotent."""
    global _flusher
    if ENV not in os.environ:
        return False
    current = values.ValueClass
    if isinstance(current, type) and issubclass(current, BufferedValue):
        return True
    # prometheus_client chose its class when imported: before the variable was set (the
    # parent process), it is the single-process one, and the file-backed one is made now.
    inner = current
    if not getattr(current, "_multiprocess", False):
        inner = values.get_value_class()  # type: ignore[no-untyped-call]
    values.ValueClass = type("BufferedValue", (BufferedValue,), {"inner_class": inner})
    if _flusher is None:
        _flusher = _Flusher(interval_s)
        _flusher.start()
    return True


def uninstall() -> None:
    """Write what is pending, stop the flusher, and let prometheus_client choose its class
    again from the environment (the parent's directory is about to go)."""
    global _flusher
    flush()
    if _flusher is not None:
        _flusher.stopped.set()
        _flusher.join()
        _flusher = None
    with _values_lock:
        _values.clear()
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def _after_fork() -> None:
    global _flusher, _values_lock, _flush_lock
    # Another thread may have held these at the fork: the child's copies would stay locked.
    _values_lock, _flush_lock = threading.Lock(), threading.Lock()
    for value in _values:
        value.reset_after_fork()
    if _flusher is not None:  # threads do not survive a fork
        _flusher = _Flusher(_flusher.interval_s)
        _flusher.start()


# Registered once per process; both do nothing while no value is buffered. A uvicorn
# worker (a spawned interpreter) and a runner process both end through sys.exit, which
# runs atexit.
atexit.register(flush)
os.register_at_fork(after_in_child=_after_fork)
