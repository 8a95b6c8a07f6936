"""Buffered metric values: in memory at once, in the multiprocess files within an interval
and at exit, summed over processes, nothing lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client import Counter, Gauge, Histogram, values

from duka.metrics import buffered
from duka.metrics.multiprocess import ENV, multiprocess_directory, registry_for

RECORD = """
import sys
from duka.metrics import buffered
assert buffered.install(interval_s=float(sys.argv[1]))
from prometheus_client import Counter, Gauge, Histogram
Counter("duka_test_orders", "orders", ["route"]).labels("/o").inc(3)
Histogram("duka_test_seconds", "seconds", buckets=(0.1, 1.0)).observe(0.5)
Gauge("duka_test_pool", "pool", multiprocess_mode="livesum").set(4)
Gauge("duka_test_depth", "depth", multiprocess_mode="mostrecent").set(float(sys.argv[2]))
if sys.argv[3] == "wait":
    print("recorded", flush=True)
    sys.stdin.read()  # until the test closes it
"""


def record(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", RECORD, *args]
    return subprocess.run(command, check=True, env=dict(os.environ), text=True)


def scraped(path: Path, name: str, labels: dict[str, str] | None = None) -> float | None:
    return registry_for(path).get_sample_value(name, labels or {})


def test_the_values_of_two_processes_are_written_at_exit_and_summed(tmp_path: Path) -> None:
    with multiprocess_directory(tmp_path) as path:
        # An interval far beyond the test: only the write at exit can bring the values.
        record("3600", "7", "exit")
        record("3600", "9", "exit")
        assert scraped(path, "duka_test_orders_total", {"route": "/o"}) == 6
        assert scraped(path, "duka_test_seconds_count") == 2
        assert scraped(path, "duka_test_seconds_sum") == 1.0
        assert scraped(path, "duka_test_seconds_bucket", {"le": "0.1"}) == 0
        assert scraped(path, "duka_test_seconds_bucket", {"le": "1.0"}) == 2
        # The most recent of the two processes' samples.
        assert scraped(path, "duka_test_depth") == 9
        # Both writers are gone: their live gauge is not summed.
        assert scraped(path, "duka_test_pool") is None


def test_a_running_process_writes_within_its_interval(tmp_path: Path) -> None:
    with multiprocess_directory(tmp_path) as path:
        child = subprocess.Popen(
            [sys.executable, "-c", RECORD, "0.05", "1", "wait"],
            env=dict(os.environ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdin is not None
        assert child.stdout is not None
        try:
            assert child.stdout.readline().strip() == "recorded"
            deadline = time.monotonic() + 10
            while scraped(path, "duka_test_orders_total", {"route": "/o"}) != 3:
                assert time.monotonic() < deadline, "the interval's write never came"
                time.sleep(0.02)
            # The live process's gauge counts while it lives.
            assert scraped(path, "duka_test_pool") == 4
        finally:
            child.stdin.close()
            assert child.wait(30) == 0


NO_LOSS = """
import threading, sys
from duka.metrics import buffered
assert buffered.install(interval_s=0.0005)
from prometheus_client import Counter
counter = Counter("duka_test_hits", "hits")

def hit():
    for _ in range(20_000):
        counter.inc()

threads = [threading.Thread(target=hit) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


def test_nothing_is_lost_while_threads_count_and_the_flusher_writes(tmp_path: Path) -> None:
    with multiprocess_directory(tmp_path) as path:
        subprocess.run([sys.executable, "-c", NO_LOSS], check=True, env=dict(os.environ))
        assert scraped(path, "duka_test_hits_total") == 80_000


FORK = """
import os
from duka.metrics import buffered
assert buffered.install(interval_s=3600)
from prometheus_client import Counter
counter = Counter("duka_test_forked", "forked")
counter.inc(5)
pid = os.fork()
if pid == 0:
    counter.inc(1)
    buffered.flush()
    os._exit(0)
os.waitpid(pid, 0)
"""


def test_a_forked_child_counts_only_its_own(tmp_path: Path) -> None:
    with multiprocess_directory(tmp_path) as path:
        subprocess.run([sys.executable, "-c", FORK], check=True, env=dict(os.environ))
        # The parent's 5 (written at its exit) and the child's 1, not the parent's twice.
        assert scraped(path, "duka_test_forked_total") == 6


def test_in_process_values_are_read_at_once_and_written_by_flush(tmp_path: Path) -> None:
    with multiprocess_directory(tmp_path) as path:
        assert issubclass(values.ValueClass, buffered.BufferedValue)
        # Not registered: the session's default registry stays as it was.
        counter = Counter("duka_test_inline", "inline", ["kind"], registry=None)
        gauge = Gauge("duka_test_inline_g", "g", multiprocess_mode="livemostrecent", registry=None)
        counter.labels("a").inc(2)
        gauge.set(3)
        assert counter.labels("a")._value.get() == 2
        buffered.flush()
        assert scraped(path, "duka_test_inline_total", {"kind": "a"}) == 2
        assert scraped(path, "duka_test_inline_g") == 3
        counter.labels("a").inc(1)
        buffered.flush()
        buffered.flush()  # nothing changed: nothing to write again
        assert scraped(path, "duka_test_inline_total", {"kind": "a"}) == 3
        assert counter.labels("a")._value.get_exemplar() is None
    # The directory is gone, and prometheus_client chooses from the environment again.
    assert not issubclass(values.ValueClass, buffered.BufferedValue)


def test_nothing_is_installed_outside_multiprocess_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    before = values.ValueClass
    assert buffered.install() is False
    assert values.ValueClass is before


def test_install_is_idempotent(tmp_path: Path) -> None:
    with multiprocess_directory(tmp_path):
        installed = values.ValueClass
        assert buffered.install() is True
        assert values.ValueClass is installed


def test_histograms_in_process(tmp_path: Path) -> None:
    with multiprocess_directory(tmp_path):
        histogram = Histogram("duka_test_inline_h", "h", buckets=(1.0,), registry=None)
        histogram.observe(0.5)
        histogram.observe(2)
        [metric] = histogram.collect()
        samples = {s.name + s.labels.get("le", ""): s.value for s in metric.samples}
        assert samples["duka_test_inline_h_count"] == 2
        assert samples["duka_test_inline_h_bucket1.0"] == 1
