"""prometheus_client's multiprocess mode, owned by the parent process.

`duka serve` (uvicorn workers) and `python -m flows` (runner processes) both fork or spawn
children that record metrics. In multiprocess mode each child writes its values to
memory-mapped files in PROMETHEUS_MULTIPROC_DIR, and the parent's metrics server sums them
at scrape time. The parent creates a fresh directory per run (stale files of an earlier
run would be summed too), points the environment at it before any child starts, and
removes it on exit.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server, values
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"
# Files are named <kind>_<pid>.db (counter_123.db, gauge_livesum_123.db): only the live
# gauges of a dead process must go, its counters and histograms stay summed.
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")


@contextmanager
def multiprocess_directory(parent: Path | None = None) -> Iterator[Path]:
    """A fresh directory for this run's children, exported as PROMETHEUS_MULTIPROC_DIR.

    Call it before the children start (they read the variable when prometheus_client is
    imported). The previous value comes back afterwards."""
    path = Path(tempfile.mkdtemp(prefix="duka-metrics-", dir=parent))
    previous = os.environ.get(ENV)
    os.environ[ENV] = str(path)
    # prometheus_client picks its value class when imported: a metric created in this
    # process from now on (a single uvicorn worker runs here) must write to the files too.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dead_pids(path: Path) -> set[int]:
    """Processes that left live gauges here and are gone (a worker replaced or crashed)."""
    pids = {int(m.group(1)) for f in path.iterdir() if (m := _LIVE_GAUGE_FILE.match(f.name))}
    return {pid for pid in pids if not _alive(pid)}


class _ReapDeadProcesses(Collector):
    """Before each scrape, drop the live gauges of processes that are gone.

    uvicorn and the runner supervisor replace children on their own, so the parent cannot
    hook each exit; checking the pids at scrape time covers every way a child ends.
    Counters and histograms of dead children stay summed, as Prometheus expects."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def collect(self) -> Iterable[Metric]:
        for pid in dead_pids(self.path):
            mark_process_dead(pid, str(self.path))  # type: ignore[no-untyped-call]
        return []


def registry_for(path: Path) -> CollectorRegistry:
    """The parent's registry: the reaper first, then the sum over the children's files."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ReapDeadProcesses(path))
    MultiProcessCollector(registry, str(path))  # type: ignore[no-untyped-call]
    return registry


def serve_metrics(host: str, port: int, path: Path) -> tuple[WSGIServer, Thread]:
    """Serve /metrics on its own port (never the API's), from a daemon thread."""
    server, thread = start_http_server(port, addr=host, registry=registry_for(path))
    log.info("metrics on http://%s:%d/metrics", host, server.server_port)
    return server, thread


@contextmanager
def metrics_server(host: str, port: int) -> Iterator[int]:
    """A parent process's whole part: the fresh directory, the port serving its sum (the
    bound port is yielded: 0 asks for any free one), both gone afterwards."""
    with multiprocess_directory() as path:
        server, _ = serve_metrics(host, port, path)
        try:
            yield server.server_port
        finally:
            server.shutdown()
            server.server_close()
