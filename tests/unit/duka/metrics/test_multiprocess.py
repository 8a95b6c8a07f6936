"""The parent's multiprocess directory and the sum it serves over its children."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from duka.metrics.multiprocess import (
    ENV,
    dead_pids,
    multiprocess_directory,
    registry_for,
    serve_metrics,
)

CHILD = """
from prometheus_client import Counter, Gauge
Counter("duka_test_things", "things", ["kind"]).labels("a").inc(2)
Gauge("duka_test_live", "live", multiprocess_mode="livesum").set(5)
"""


def run_child() -> int:
    child = subprocess.run([sys.executable, "-c", CHILD], check=True, env=dict(os.environ))
    return child.returncode


def test_the_directory_is_fresh_exported_and_removed(tmp_path: Path) -> None:
    before = os.environ.get(ENV)
    with multiprocess_directory(tmp_path) as path:
        assert os.environ[ENV] == str(path)
        assert path.is_dir()
        assert not any(path.iterdir())
    assert not path.exists()
    assert os.environ.get(ENV) == before


def test_children_are_summed_and_dead_ones_lose_their_live_gauges(tmp_path: Path) -> None:
    with multiprocess_directory(tmp_path) as path:
        run_child()
        run_child()
        assert len(dead_pids(path)) == 2
        registry = registry_for(path)
        assert registry.get_sample_value("duka_test_things_total", {"kind": "a"}) == 4
        # Both writers are gone: their live gauges were dropped at this scrape.
        assert registry.get_sample_value("duka_test_live") is None
        assert dead_pids(path) == set()
        assert registry.get_sample_value("duka_test_things_total", {"kind": "a"}) == 4


def test_the_metrics_port_serves_the_sum(tmp_path: Path) -> None:
    with multiprocess_directory(tmp_path) as path:
        run_child()
        server, _ = serve_metrics("127.0.0.1", 0, path)
        try:
            text = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics").text
        finally:
            server.shutdown()
            server.server_close()
    assert 'duka_test_things_total{kind="a"} 2.0' in text


@pytest.mark.parametrize("entry", ["api.cli", "flows.__main__"])
def test_parents_create_no_metric_before_the_directory_exists(entry: str) -> None:
    # prometheus_client picks file-backed values only for metrics created after
    # PROMETHEUS_MULTIPROC_DIR is set: the parents must not import a metrics module first.
    script = (
        f"import sys, {entry}\n"
        "loaded = [m for m in sys.modules if m.endswith('.metrics') and m != 'duka.metrics']\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
