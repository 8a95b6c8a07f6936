"""A real Prometheus server for the tests: the pinned build from deploy/tools, scraping given
targets every second and evaluating the chart's rules (tests/support/alert_rules.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.kube_process import ManagedProcess, free_port
from tests.support.kube_tools import ensure_tools, tool_path

READY_TIMEOUT_S = 60.0


@dataclass
class PrometheusServer:
    url: str
    process: ManagedProcess

    def api(self, path: str, **params: str) -> Any:
        answer = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        answer.raise_for_status()
        body = answer.json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=expr)["result"])

    def alert_states(self, name: str) -> set[str]:
        """The states (pending, firing) of the active alerts called `name`."""
        return {
            a["state"] for a in self.api("alerts")["alerts"] if a["labels"]["alertname"] == name
        }

    def targets_up(self) -> dict[str, str]:
        return {t["labels"]["job"]: t["health"] for t in self.api("targets")["activeTargets"]}


@contextmanager
def prometheus_server(
    folder: Path, targets: dict[str, str], rule_groups: list[dict[str, Any]]
) -> Iterator[PrometheusServer]:
    """Prometheus scraping `targets` (job → host:port) every second, with these rules."""
    ensure_tools(("prometheus",))
    folder.mkdir(parents=True, exist_ok=True)
    rules = folder / "rules.yaml"
    rules.write_text(json.dumps({"groups": rule_groups}))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [target]}]}
            for job, target in targets.items()
        ],
    }
    (folder / "prometheus.yml").write_text(json.dumps(config))
    port = free_port()
    argv = [
        str(tool_path("prometheus")),
        f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    process = ManagedProcess("prometheus", argv, folder / "prometheus.log")
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            assert not process.exited(), process.log_tail()
            try:
                if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"Prometheus not ready\n{process.log_tail()}"
            time.sleep(0.2)
        yield PrometheusServer(url, process)
    finally:
        process.stop()
